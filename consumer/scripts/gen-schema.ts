// Writes schema/trace-record.v1.schema.json from src/schema.ts. Run: npm run schema
import { writeFileSync } from 'node:fs';
import { traceRecordJsonSchema } from '../src/schema.js';

const path = new URL('../schema/trace-record.v1.schema.json', import.meta.url);
writeFileSync(path, JSON.stringify(traceRecordJsonSchema(), null, 2) + '\n');
console.log(`wrote ${path.pathname}`);
