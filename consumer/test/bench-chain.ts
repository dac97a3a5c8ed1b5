// Cost of the hash chain per record: the writer's hot path with and without it, one core.
//   cd consumer && taskset -c 1 node --import tsx test/bench-chain.ts [N]
import * as fs from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { HeaderRecord, TraceRecord } from '../src/schema.js';
import { JsonlWriter, prepareOutDir } from '../src/writer.js';
import { examples } from './examples.js';

const N = Number(process.argv[2] ?? 1_000_000);
const base = fs.existsSync('/dev/shm') ? '/dev/shm' : '/tmp';
const recs = Array.from({ length: 1024 }, (_, i) => ({ ...examples.syscall, seq: i }) as unknown as TraceRecord);

/** The writer before the chain: stringify, batch, write. */
function unchained(file: string): void {
  const fd = fs.openSync(file, 'w');
  let lines: string[] = [];
  let bytes = 0;
  for (let i = 0; i < N; i++) {
    const line = JSON.stringify(recs[i & 1023]);
    lines.push(line);
    bytes += line.length + 1;
    if (bytes >= 1 << 20) {
      fs.writeSync(fd, lines.join('\n') + '\n');
      lines = [];
      bytes = 0;
    }
  }
  fs.writeSync(fd, lines.join('\n') + '\n');
  fs.closeSync(fd);
}

function chained(dir: string): void {
  const w = JsonlWriter.open(dir, { ...(examples.header as unknown as HeaderRecord), container: `c${Math.random()}` });
  for (let i = 0; i < N; i++) w.write(recs[i & 1023]!);
  w.close();
}

const dir = join(mkdtempSync(join(base, 'rt-bench-')), 'out');
prepareOutDir(dir);
const best = { before: Infinity, after: Infinity };
for (let round = 0; round < 5; round++) {
  let t = performance.now();
  unchained(join(dir, 'plain.jsonl'));
  best.before = Math.min(best.before, performance.now() - t);
  t = performance.now();
  chained(dir);
  best.after = Math.min(best.after, performance.now() - t);
  for (const f of fs.readdirSync(dir)) fs.rmSync(join(dir, f));
}
const line = JSON.stringify(recs[0]).length;
const rate = (ms: number): string => `${Math.round(N / (ms / 1000)).toLocaleString('en-US')} records/s (${((ms * 1e6) / N).toFixed(0)} ns/record)`;
console.log(`${N} syscall records of ${line} bytes, best of 5, one core`);
console.log(`before (no chain): ${rate(best.before)}`);
console.log(`after  (chained):  ${rate(best.after)}`);
console.log(`chain cost: ${(((best.after - best.before) * 1e6) / N).toFixed(0)} ns/record`);
fs.rmSync(join(dir, '..'), { recursive: true });
