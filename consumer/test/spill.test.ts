import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BootClock } from '../src/clock.js';
import type { ContainerDeps } from '../src/container.js';
import { Flag } from '../src/layout.js';
import { TraceRecord, type ContainerState } from '../src/schema.js';
import { importSpills, readSpill } from '../src/spill.js';
import { verifyFile } from '../src/verify.js';
import { prepareOutDir } from '../src/writer.js';
import { concat, exitRecord, syscallRecord } from './encode.js';

const state: ContainerState = {
  id: 'gone', slot: 2, gen: 5, cgroup_id: 777, init_pid: 100, ringbuf: '/sys/fs/bpf/runc-trace/containers/gone',
  armed_boot_ns: 5_000_000_000, abi: 1, meta: { annotations: { 'io.trace.enabled': 'true' }, runtime: 'runc-trace 1.2.3' },
};

// The first line as bpf/loader.c spill_ring writes it.
function spillLine(kind: 'records' | 'loss', seq: number, lost: number, error: string | null = null): string {
  return JSON.stringify({ spill: 1, kind, error, seq, lost, consumer_pos: 0, producer_pos: 0, truncated: false,
    consumer_attached: false, disarmed_boot_ns: 6_000_000_000, state }) + '\n';
}

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'rt-spill-'));
  const dirs = { spillDir: join(root, 'spill'), lostDir: join(root, 'lost') };
  mkdirSync(dirs.spillDir);
  const out = join(root, 'out');
  prepareOutDir(out);
  const logs: string[] = [];
  const deps: ContainerDeps = {
    outDir: out, clock: BootClock.fixed(1_800_000_000), windowMs: 50, maxPending: 1000, validate: true,
    openRing: () => { throw new Error('no live ring in this test'); },
    slotCounters: () => null,
    log: (m) => logs.push(m),
  };
  const lines = (f = join(out, 'gone.jsonl')) => readFileSync(f, 'utf8').trim().split('\n').map((l) => TraceRecord.parse(JSON.parse(l)));
  return { dirs, out, deps, logs, lines };
}

const records = () => concat([
  syscallRecord({ nr: 59, seq: 0, pid: 100 }),
  syscallRecord({ nr: 39, seq: 1, pid: 100 }),
  // seq 2 dropped by the kernel (ring full): the lost counter says 1
  exitRecord({ seq: 3, pid: 100, flags: Flag.WORKLOAD | Flag.GROUP_DEAD | Flag.INIT, waitStatus: 3 << 8 }),
]);

describe('spill import', () => {
  it('writes the JSONL a live consumer would have written, seals it as from a spill, then removes the spill', () => {
    const { dirs, out, deps, lines } = setup();
    const file = join(dirs.spillDir, 'gone.5.5000000000.spill');
    writeFileSync(file, Buffer.concat([Buffer.from(spillLine('records', 4, 1)), records()]));
    expect(importSpills(dirs, deps, new Set(), new Set(), 0).imported).toBe(1);
    const l = lines();
    expect(l.map((r) => r.type)).toEqual(['header', 'syscall', 'syscall', 'gap', 'process', 'exit']);
    expect(l[3]).toMatchObject({ type: 'gap', seq_from: 2, seq_to: 2, reason: 'ringbuf-full' });
    expect(l[5]).toMatchObject({ type: 'exit', status: 3, records: 3, lost: 1, source: 'spill' });
    expect(verifyFile(join(out, 'gone.jsonl')).ok).toBe(true);
    expect(readdirSync(dirs.spillDir)).toEqual([]);
  });

  it('imports a backlog in slices: past its deadline it starts no new file and says more are left', () => {
    const { dirs, out, deps } = setup();
    for (const id of ['a', 'b', 'c']) {
      const line = JSON.stringify({ ...JSON.parse(spillLine('records', 4, 1)), state: { ...state, id } }) + '\n';
      writeFileSync(join(dirs.spillDir, `${id}.5.5000000000.spill`), Buffer.concat([Buffer.from(line), records()]));
    }
    // a deadline already past: one file per call, always at least one
    expect(importSpills(dirs, deps, new Set(), new Set(), 0, 0)).toEqual({ imported: 1, more: true });
    expect(readdirSync(out).sort()).toEqual(['a.jsonl']);
    expect(importSpills(dirs, deps, new Set(), new Set(), 0, 0)).toEqual({ imported: 1, more: true });
    expect(importSpills(dirs, deps, new Set(), new Set(), 0, 0)).toEqual({ imported: 1, more: false });
    expect(readdirSync(out).sort()).toEqual(['a.jsonl', 'b.jsonl', 'c.jsonl']);
    expect(readdirSync(dirs.spillDir)).toEqual([]);
    for (const id of ['a', 'b', 'c']) expect(verifyFile(join(out, `${id}.jsonl`)).ok).toBe(true);
    // no deadline: everything in one call
    for (const id of ['d', 'e']) {
      const line = JSON.stringify({ ...JSON.parse(spillLine('records', 4, 1)), state: { ...state, id } }) + '\n';
      writeFileSync(join(dirs.spillDir, `${id}.5.5000000000.spill`), Buffer.concat([Buffer.from(line), records()]));
    }
    expect(importSpills(dirs, deps, new Set(), new Set(), 0)).toEqual({ imported: 2, more: false });
  });

  it('turns a loss marker into a file with a no-consumer gap for every number', () => {
    const { dirs, deps, lines } = setup();
    mkdirSync(dirs.lostDir);
    writeFileSync(join(dirs.lostDir, 'gone.5.5000000000.lost'), spillLine('loss', 40, 0, 'No space left on device'));
    expect(importSpills(dirs, deps, new Set(), new Set(), 0).imported).toBe(1);
    const l = lines();
    expect(l.map((r) => r.type)).toEqual(['header', 'gap', 'exit']);
    expect(l[1]).toMatchObject({ seq_from: 0, seq_to: 39, lost: 40, reason: 'no-consumer' });
    expect(l[2]).toMatchObject({ records: 0, lost: 40, source: 'loss-marker', lost_by_reason: { 'no-consumer': 40 } });
    expect(readdirSync(dirs.lostDir)).toEqual([]);
  });

  it('drops a spill whose tenant is already sealed, and keeps a malformed one with one log line', () => {
    const { dirs, out, deps, logs } = setup();
    const line = spillLine('records', 4, 1);
    writeFileSync(join(dirs.spillDir, 'gone.5.5000000000.spill'), Buffer.concat([Buffer.from(line), records()]));
    importSpills(dirs, deps, new Set(), new Set(), 0);
    const sealed = readFileSync(join(out, 'gone.jsonl'));
    writeFileSync(join(dirs.spillDir, 'gone.5.5000000000.spill'), Buffer.concat([Buffer.from(line), records()]));
    writeFileSync(join(dirs.spillDir, 'bad.1.1.spill'), '{"spill":2}\n');
    const failed = new Set<string>();
    expect(importSpills(dirs, deps, new Set(), failed, 0).imported).toBe(0);
    expect(importSpills(dirs, deps, new Set(), failed, 0).imported).toBe(0);
    expect(readFileSync(join(out, 'gone.jsonl'))).toEqual(sealed);
    expect(readdirSync(out)).toEqual(['gone.jsonl']);
    expect(readdirSync(dirs.spillDir)).toEqual(['bad.1.1.spill']);
    expect(logs.filter((m) => m.includes('bad.1.1.spill'))).toHaveLength(1);
    expect(() => readSpill(join(dirs.spillDir, 'bad.1.1.spill'))).toThrow(/bad\.1\.1\.spill: not a spill file/);
    const evil = join(dirs.spillDir, 'evil.spill');
    writeFileSync(evil, JSON.stringify({ ...JSON.parse(line), state: { ...state, id: '../../etc/x' } }) + '\n');
    expect(() => readSpill(evil)).toThrow(/evil\.spill: not a spill file: container id "\.\.\/\.\.\/etc\/x"/);
  });
});
