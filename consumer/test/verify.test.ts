import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chainOf, sealLine, unsealLine } from '../src/chain.js';
import { verifyFile } from '../src/verify.js';
import { JsonlWriter, prepareOutDir } from '../src/writer.js';
import type { HeaderRecord, TraceRecord } from '../src/schema.js';
import { examples } from './examples.js';

/** header, syscalls seq 0..4, gap 5..6, syscalls 7..9, exit: 11 lines */
function traceFile(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'rt-verify-')), 'out');
  prepareOutDir(dir);
  const w = JsonlWriter.open(dir, examples.header as unknown as HeaderRecord);
  for (let s = 0; s < 5; s++) w.write({ ...examples.syscall, seq: s } as unknown as TraceRecord);
  w.write({ ...examples.gap, seq_from: 5, seq_to: 6, lost: 2 } as unknown as TraceRecord);
  for (let s = 7; s < 10; s++) w.write({ ...examples.syscall, seq: s } as unknown as TraceRecord);
  w.write({ ...examples.exit, records: 8, lost: 2 } as unknown as TraceRecord);
  w.close();
  return w.file;
}

const edit = (f: string, fn: (lines: string[]) => string[]): void => {
  const lines = readFileSync(f, 'utf8').split('\n').slice(0, -1);
  writeFileSync(f, fn(lines).join('\n') + '\n');
};

describe('hash chain', () => {
  it('appends the chain member textually and strips it back', () => {
    const body = '{"type":"gap","lost":1}';
    const c = chainOf('', body);
    const line = sealLine(body, c);
    expect(line).toBe(`{"type":"gap","lost":1,"chain":"${c}"}`);
    expect(JSON.parse(line).chain).toBe(c);
    expect(unsealLine(line)).toEqual({ body, chain: c });
    expect(unsealLine(body)).toBeNull();
    // chain(n) = sha256(chain(n-1) + body(n)), chain(0) = ''
    expect(chainOf('', 'abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('a file the writer sealed verifies; the exit record carries head, runtime and loss totals', () => {
    const f = traceFile();
    expect(verifyFile(f)).toMatchObject({ ok: true, lines: 11, sealed: true });
    const lines = readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const exit = lines.at(-1);
    expect(exit).toMatchObject({ type: 'exit', records: 8, lost: 2, lost_by_reason: { 'ringbuf-full': 2 }, head: lines.at(-2).chain, runtime: 'runc-trace 1.2.3' });
  });
});

describe('throttle records', () => {
  it('count as records; the sealed exit carries their suppressed sum as throttled, and verify checks it', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rt-verify-')), 'out');
    prepareOutDir(dir);
    const w = JsonlWriter.open(dir, examples.header as unknown as HeaderRecord);
    w.write({ ...examples.syscall, seq: 0 } as unknown as TraceRecord);
    w.write({ ...examples.throttle, seq: 1, suppressed: 500 } as unknown as TraceRecord);
    w.write({ ...examples.syscall, seq: 2 } as unknown as TraceRecord);
    w.write({ ...examples.throttle, seq: 3, suppressed: 70 } as unknown as TraceRecord);
    w.write({ ...examples.exit, records: 4, lost: 0 } as unknown as TraceRecord);
    w.close();
    expect(verifyFile(w.file)).toMatchObject({ ok: true, sealed: true });
    const lines = readFileSync(w.file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toMatchObject({ type: 'exit', records: 4, lost: 0, throttled: 570 });
    // an exit record that disagrees with the throttle records, chained correctly, is inconsistent
    const bad = lines.slice(0, -1).map((l) => JSON.stringify(l));
    const { chain: _c, ...exit } = lines.at(-1);
    const body = JSON.stringify({ ...exit, throttled: 571 });
    bad.push(sealLine(body, chainOf(lines.at(-2).chain, body)));
    writeFileSync(w.file, bad.join('\n') + '\n');
    expect(verifyFile(w.file)).toMatchObject({ ok: false });
    expect(JSON.stringify(verifyFile(w.file))).toContain('571 throttled, the throttle records sum to 570');
  });
});

describe('verify names the first bad line', () => {
  it('edited line', () => {
    const f = traceFile();
    edit(f, (l) => l.map((x, i) => (i === 4 ? x.replace('/etc/shadow', '/etc/hosts!') : x)));
    expect(verifyFile(f).problem).toMatchObject({ line: 5, kind: 'altered' });
  });

  it('deleted line', () => {
    const f = traceFile();
    edit(f, (l) => l.filter((_, i) => i !== 4));
    expect(verifyFile(f).problem).toMatchObject({ line: 5, kind: 'missing' });
  });

  it('deleted header', () => {
    const f = traceFile();
    edit(f, (l) => l.slice(1));
    expect(verifyFile(f).problem).toMatchObject({ line: 1, kind: 'missing' });
  });

  it('two lines swapped', () => {
    const f = traceFile();
    edit(f, (l) => [...l.slice(0, 3), l[4]!, l[3]!, ...l.slice(5)]);
    expect(verifyFile(f).problem).toMatchObject({ line: 4, kind: 'reordered' });
  });

  it('a line inserted', () => {
    const f = traceFile();
    edit(f, (l) => [...l.slice(0, 6), l[2]!, ...l.slice(6)]);
    expect(verifyFile(f).problem).toMatchObject({ line: 7 });
  });

  it('truncated at a line boundary', () => {
    const f = traceFile();
    edit(f, (l) => l.slice(0, 8));
    expect(verifyFile(f).problem).toMatchObject({ line: 9, kind: 'truncated' });
    expect(verifyFile(f, { partial: true })).toMatchObject({ ok: true, lines: 8, sealed: false });
  });

  it('truncated inside a line', () => {
    const f = traceFile();
    const text = readFileSync(f, 'utf8');
    writeFileSync(f, text.slice(0, text.length - 40));
    expect(verifyFile(f).problem).toMatchObject({ line: 11, kind: 'truncated' });
  });

  it('a record removed and the whole chain recomputed: the seal\'s totals disagree', () => {
    const f = traceFile();
    edit(f, (l) => {
      let prev = '';
      return l.filter((_, i) => i !== 4).map((x) => {
        let b = unsealLine(x)!.body;
        if (b.startsWith('{"type":"exit"')) b = b.replace(/"head":"[0-9a-f]{64}"/, `"head":"${prev}"`);
        prev = chainOf(prev, b);
        return sealLine(b, prev);
      });
    });
    expect(verifyFile(f).problem).toMatchObject({ line: 10, kind: 'inconsistent' });
  });
});
