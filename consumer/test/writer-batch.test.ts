// The writer's batch buffer: lines are UTF-8 encoded into one reused buffer (no array of strings
// joined per flush). The bytes must be those of the per-line formatting: JSON text, chain member,
// newline, chained from the genesis; outsized and multi-byte lines grow the buffer.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHAIN_GENESIS, chainOf, sealLine } from '../src/chain.js';
import type { HeaderRecord, TraceRecord } from '../src/schema.js';
import { verifyFile } from '../src/verify.js';
import { JsonlWriter, prepareOutDir } from '../src/writer.js';
import { examples } from './examples.js';

function expected(recs: object[]): string {
  let head = CHAIN_GENESIS;
  let out = '';
  for (const r of recs) {
    const body = JSON.stringify(r);
    head = chainOf(head, body);
    out += sealLine(body, head) + '\n';
  }
  return out;
}

describe('JSONL writer batch buffer', () => {
  for (const flushBytes of [1 << 20, 4096, 1]) {
    it(`writes the per-line text exactly (flushBytes ${flushBytes}), outsized and multi-byte lines included`, () => {
      const dir = join(mkdtempSync(join(tmpdir(), 'rt-wbatch-')), 'out');
      prepareOutDir(dir);
      const big = 'é€😀"\\\n'.repeat(40_000); // ~400 KB of UTF-8, escapes included
      const header = { ...(examples.header as unknown as HeaderRecord), container: `b${flushBytes}`, annotations: { big } };
      const recs: object[] = [header];
      const w = JsonlWriter.open(dir, header, flushBytes);
      for (let i = 0; i < 3000; i++) {
        const r = { ...examples.syscall, container: header.container, seq: i, comm: i % 7 === 0 ? 'ünï"cödé' : 'cat',
          args: { ...examples.syscall.args, pathname: i % 500 === 0 ? big.slice(0, 70_000) : `/p/${i}` } };
        recs.push(r);
        w.write(r as unknown as TraceRecord);
      }
      w.close();
      expect(readFileSync(w.file, 'utf8')).toBe(expected(recs));
      expect(verifyFile(w.file, { partial: true })).toMatchObject({ ok: true, lines: 3001 });
    });
  }
});
