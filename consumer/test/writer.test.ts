import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HeaderRecord } from '../src/schema.js';
import { JsonlWriter, prepareOutDir } from '../src/writer.js';
import { examples } from './examples.js';
import { unchained } from './unchain.js';
import { verifyFile } from '../src/verify.js';

const header = (over: Partial<HeaderRecord> = {}): HeaderRecord => ({ ...(examples.header as unknown as HeaderRecord), ...over });
const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => unchained(JSON.parse(l)));

function outDir(): string {
  const d = join(mkdtempSync(join(tmpdir(), 'rt-writer-')), 'out');
  prepareOutDir(d);
  return d;
}

describe('JSONL writer', () => {
  it('creates DIR 0700 and files 0600, header first, batched', () => {
    const dir = outDir();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const w = JsonlWriter.open(dir, header());
    expect(w.file).toBe(join(dir, 'web.jsonl'));
    expect(statSync(w.file).mode & 0o777).toBe(0o600);
    w.write(examples.syscall as never);
    expect(lines(w.file).length).toBe(1); // buffered until flush
    w.write(examples.exit as never);
    w.close();
    expect(lines(w.file).map((r) => r.type)).toEqual(['header', 'syscall', 'exit']);
  });

  it('gives a container reusing an id a fresh file and keeps the old one as <id>.<n>.jsonl', () => {
    const dir = outDir();
    const a = JsonlWriter.open(dir, header({ gen: 1 }));
    a.write(examples.exit as never);
    a.close();
    const b = JsonlWriter.open(dir, header({ gen: 2 }));
    b.close();
    const c = JsonlWriter.open(dir, header({ gen: 3 }));
    c.close();
    expect(readdirSync(dir).sort()).toEqual(['web.1.jsonl', 'web.2.jsonl', 'web.jsonl']);
    expect(lines(join(dir, 'web.1.jsonl'))[0].gen).toBe(1);
    expect(lines(join(dir, 'web.2.jsonl'))[0].gen).toBe(2);
    expect(lines(join(dir, 'web.jsonl'))).toEqual([header({ gen: 3 })]);
  });

  it('continues an unfinished file of the same tenant (consumer restart)', () => {
    const dir = outDir();
    const a = JsonlWriter.open(dir, header());
    a.write(examples.syscall as never); // seq 42
    a.write(examples.gap as never); // 46..99
    a.close();
    appendFileSync(a.file, '{"type":"sysc'); // torn line of a killed consumer
    const b = JsonlWriter.open(dir, header());
    expect(b.continued).toMatchObject({ lastSeq: 99, records: 1, lost: 54 });
    b.write({ ...examples.syscall, seq: 100 } as never);
    b.close();
    expect(readdirSync(dir)).toEqual(['web.jsonl']);
    expect(lines(b.file).map((r) => r.type)).toEqual(['header', 'syscall', 'gap', 'syscall']);
    expect(verifyFile(b.file, { partial: true })).toMatchObject({ ok: true, lines: 4 }); // the chain goes on across the restart
  });

  it('does not continue a file that has its exit record', () => {
    const dir = outDir();
    const a = JsonlWriter.open(dir, header());
    a.write(examples.exit as never);
    a.close();
    const b = JsonlWriter.open(dir, header());
    expect(b.continued).toBeNull();
    b.close();
    expect(readdirSync(dir).sort()).toEqual(['web.1.jsonl', 'web.jsonl']);
  });

  it('rotates a file that is not ours', () => {
    const dir = outDir();
    writeFileSync(join(dir, 'web.jsonl'), 'garbage\n');
    JsonlWriter.open(dir, header()).close();
    expect(readFileSync(join(dir, 'web.1.jsonl'), 'utf8')).toBe('garbage\n');
  });
});

describe('JSONL writer on a full disk (root: a real tmpfs)', () => {
  const root = process.getuid?.() === 0;
  it.skipIf(!root)('drops and counts while ENOSPC, writes a write-error gap when space returns; the file verifies', async () => {
    const { execFileSync } = await import('node:child_process');
    const mnt = mkdtempSync(join(tmpdir(), 'rt-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    try {
      const logs: string[] = [];
      const { configureSeal } = await import('../src/writer.js');
      configureSeal({ log: (m) => logs.push(m) });
      const dir = join(mnt, 'out');
      prepareOutDir(dir);
      const w = JsonlWriter.open(dir, header(), 4096);
      let s = 0;
      for (; s < 1000; s++) w.write({ ...examples.syscall, seq: s } as never);
      expect(logs.some((l) => l.includes('failed to write records: ENOSPC'))).toBe(true);
      execFileSync('mount', ['-o', 'remount,size=4m', mnt]);
      await new Promise((r) => setTimeout(r, 300));
      for (; s < 1010; s++) w.write({ ...examples.syscall, seq: s } as never);
      w.write({ ...examples.exit, records: 1010, lost: 0 } as never);
      w.close();
      expect(logs.some((l) => l.includes('writing again'))).toBe(true);
      const recs = lines(w.file);
      const gap = recs.find((r) => r.type === 'gap');
      expect(gap).toMatchObject({ reason: 'write-error', seq_to: gap.seq_from + gap.lost - 1 });
      const exit = recs.at(-1);
      expect(exit.records + exit.lost).toBe(1010);
      expect(verifyFile(w.file)).toMatchObject({ ok: true, sealed: true });
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
