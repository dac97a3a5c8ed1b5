import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, TraceRecord, traceRecordJsonSchema } from '../src/schema.js';
import { examples } from './examples.js';



describe('schema v1', () => {
  it('has version 1', () => expect(SCHEMA_VERSION).toBe(1));

  it('accepts one example of every record type', () => {
    for (const [name, ex] of Object.entries(examples)) {
      const res = TraceRecord.safeParse(ex);
      expect(res.success, `${name}: ${JSON.stringify(res.error?.issues)}`).toBe(true);
    }
  });

  it('rejects what does not fit', () => {
    const bad: unknown[] = [
      { ...examples.syscall, type: 'sycall' },
      { ...examples.syscall, phase: 'init' },
      { ...examples.syscall, ts: '2026-12-03T16:49:00.223Z' }, // not nanoseconds
      { ...examples.syscall, ts: '2026-12-03T16:49:00.223456789+01:00' }, // not UTC
      { ...examples.syscall, args: { raw: ['1', '2'] } }, // six raw args
      { ...examples.syscall, args: { ...examples.syscall.args, raw: [1, 2, 3, 4, 5, 6] } }, // raw as strings
      { ...examples.syscall, ret: 1.5 },
      { ...examples.syscall, ret: '12x' },
      { ...examples.syscall, seq: -1 },
      { ...examples.syscall, args: { ...examples.syscall.args, pathname_truncated: false } },
      { ...examples.fork, event: 'clone' },
      { ...examples.exec, filename: undefined },
      { ...examples.header, v: 2 },
      { ...examples.gap, reason: 'because' },
      { ...examples.exit, records: undefined },
      { type: 'unknown' },
    ];
    for (const b of bad) expect(TraceRecord.safeParse(b).success, JSON.stringify(b)).toBe(false);
  });

  it('accepts 64-bit values beyond 2^53 as decimal strings', () => {
    expect(TraceRecord.safeParse({ ...examples.syscall, ret: '-9223372036854775808', dur_ns: '18446744073709551615' }).success).toBe(true);
  });

  it('committed JSON Schema is up to date (else: npm run schema)', () => {
    const committed = JSON.parse(readFileSync(new URL('../schema/trace-record.v1.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(traceRecordJsonSchema())));
  });

  it('docs/SCHEMA.md shows a line of every record type that validates', () => {
    const md = readFileSync(new URL('../../docs/SCHEMA.md', import.meta.url), 'utf8');
    const lines = md.split('\n').filter((l) => l.startsWith('{"type":'));
    const seen = new Set<string>();
    for (const l of lines) {
      const r = TraceRecord.parse(JSON.parse(l));
      seen.add(r.type === 'process' ? `process:${r.event}` : r.type);
    }
    expect([...seen].sort()).toEqual(['exit', 'gap', 'header', 'process:exec', 'process:exit', 'process:fork', 'syscall', 'throttle']);
  });
});
