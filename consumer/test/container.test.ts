import { unchained } from './unchain.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BootClock } from '../src/clock.js';
import { TracedContainer, type ContainerDeps } from '../src/container.js';
import { Flag } from '../src/layout.js';
import { TraceRecord, type ContainerState } from '../src/schema.js';
import type { SlotCounters } from '../src/sequencer.js';
import { prepareOutDir } from '../src/writer.js';
import { exitRecord, forkRecord, syscallRecord } from './encode.js';
import { FakeRing } from './ring.js';

const state: ContainerState = {
  id: 'box', slot: 3, gen: 7, cgroup_id: 4242, init_pid: 100, ringbuf: '/sys/fs/bpf/runc-trace/containers/box',
  armed_boot_ns: 999_000_000_000, abi: 1,
  meta: { bundle: '/bundles/box', annotations: { 'io.trace.enabled': 'true' }, runtime: 'runc-trace 1.2.3' },
};

function setup() {
  const dir = join(mkdtempSync(join(tmpdir(), 'rt-container-')), 'out');
  prepareOutDir(dir);
  const ring = new FakeRing(1 << 16);
  let counters: SlotCounters | null = { seq: 0, lost: 0 };
  let closed = false;
  const logs: string[] = [];
  const deps: ContainerDeps = {
    outDir: dir, clock: BootClock.fixed(1_800_000_000), windowMs: 50, maxPending: 1000, validate: true,
    openRing: () => ({ reader: ring.reader(), close: () => { closed = true; } }),
    slotCounters: () => counters,
    log: (m) => logs.push(m),
  };
  const c = new TracedContainer(state, deps);
  const read = () => readFileSync(c.file, 'utf8').trim().split('\n').map((l) => unchained(TraceRecord.parse(JSON.parse(l))));
  return { c, ring, read, setCounters: (v: SlotCounters | null) => { counters = v; }, isClosed: () => closed, logs };
}

describe('traced container', () => {
  it('writes header, ordered records, gaps and the exit record when init and its children are gone', () => {
    const { c, ring, read, setCounters, isClosed } = setup();
    ring.produce(syscallRecord({ nr: 59, seq: 0, pid: 100, flags: 0 }));
    ring.produce(forkRecord({ seq: 2, pid: 100, childPid: 101 }));
    ring.produce(syscallRecord({ nr: 0, seq: 1, pid: 100 }));
    // seq 3 lost (ring full)
    ring.produce(exitRecord({ seq: 4, pid: 100, flags: Flag.WORKLOAD | Flag.GROUP_DEAD | Flag.INIT, waitStatus: 2 << 8 }));
    setCounters({ seq: 5, lost: 1 });
    c.tick(0);
    expect(c.done).toBe(false); // waiting for the hole at 3
    c.tick(60);
    expect(c.done).toBe(false); // init gone, child 101 still alive
    ring.produce(syscallRecord({ nr: 60, seq: 5, pid: 101 }));
    ring.produce(exitRecord({ seq: 6, pid: 101, flags: Flag.WORKLOAD | Flag.GROUP_DEAD, waitStatus: 9 }));
    setCounters({ seq: 7, lost: 1 });
    c.tick(100);
    expect(c.done).toBe(true);
    c.finish(100);
    expect(isClosed()).toBe(true);
    const recs = read();
    expect(recs.map((r) => (r.type === 'process' ? r.event : r.type))).toEqual(['header', 'syscall', 'syscall', 'fork', 'gap', 'exit', 'syscall', 'exit', 'exit']);
    expect(recs[0]).toMatchObject({
      type: 'header', v: 1, container: 'box', bundle: '/bundles/box', annotations: { 'io.trace.enabled': 'true' }, runtime: 'runc-trace 1.2.3',
      cgroup_id: 4242, init_pid: 100, started: '2027-01-15T08:16:39.000000000Z', slot: 3, gen: 7,
    });
    expect(recs[1]).toMatchObject({ phase: 'runtime', syscall: 'execve' });
    expect(recs[4]).toEqual({ type: 'gap', container: 'box', seq_from: 3, seq_to: 3, lost: 1, reason: 'ringbuf-full' });
    expect(recs.at(-1)).toEqual({ type: 'exit', container: 'box', status: 2, signal: null, records: 6, lost: 1 });
  });

  it('finishes on disarm with a trailing gap and no init status', () => {
    const { c, ring, read, setCounters } = setup();
    ring.produce(syscallRecord({ nr: 0, seq: 0, pid: 100 }));
    setCounters({ seq: 3, lost: 2 });
    c.tick(0);
    setCounters(null); // slot cleared by disarm: the last known counters are used
    c.finish(10);
    const recs = read();
    expect(recs.slice(-2)).toEqual([
      { type: 'gap', container: 'box', seq_from: 1, seq_to: 2, lost: 2, reason: 'ringbuf-full' },
      { type: 'exit', container: 'box', status: null, signal: null, records: 1, lost: 2 },
    ]);
  });

  it('stop() flushes without an exit record, and a restart continues the file', () => {
    const s = setup();
    s.ring.produce(syscallRecord({ nr: 0, seq: 0, pid: 100 }));
    s.c.tick(0);
    s.c.stop(1);
    expect(s.read().map((r) => r.type)).toEqual(['header', 'syscall']);
    // a new consumer run for the same tenant: records 1..2 went with the old run's buffer
    const dir = s.c.file.replace(/\/box\.jsonl$/, '');
    const ring2 = new FakeRing(1 << 16);
    ring2.produce(syscallRecord({ nr: 0, seq: 3, pid: 100 }));
    const c2 = new TracedContainer(state, {
      outDir: dir, clock: BootClock.fixed(1_800_000_000), windowMs: 50, maxPending: 1000, validate: true,
      openRing: () => ({ reader: ring2.reader(), close: () => {} }), slotCounters: () => ({ seq: 4, lost: 0 }), log: () => {},
    });
    c2.tick(0);
    c2.finish(100);
    const recs = s.read();
    expect(recs.map((r) => r.type)).toEqual(['header', 'syscall', 'gap', 'syscall', 'exit']);
    expect(recs[2]).toMatchObject({ seq_from: 1, seq_to: 2, reason: 'consumer-restart' });
    expect(recs[4]).toMatchObject({ records: 2, lost: 2 });
  });

  it('a restart whose ring hands out records the killed run already wrote (consumer_pos not committed) writes each number once', () => {
    const s = setup();
    s.ring.produce(syscallRecord({ nr: 0, seq: 0, pid: 100 }));
    s.ring.produce(syscallRecord({ nr: 0, seq: 1, pid: 100 }));
    s.c.tick(0);
    s.c.stop(1);
    const dir = s.c.file.replace(/\/box\.jsonl$/, '');
    const ring2 = new FakeRing(1 << 16);
    for (const seq of [1, 2]) ring2.produce(syscallRecord({ nr: 0, seq, pid: 100 }));
    const c2 = new TracedContainer(state, {
      outDir: dir, clock: BootClock.fixed(1_800_000_000), windowMs: 50, maxPending: 1000, validate: true,
      openRing: () => ({ reader: ring2.reader(), close: () => {} }), slotCounters: () => ({ seq: 3, lost: 0 }), log: () => {},
    });
    c2.tick(0);
    c2.finish(100);
    const recs = s.read();
    expect(recs.map((r) => (r.type === 'syscall' ? r.seq : r.type))).toEqual(['header', 0, 1, 2, 'exit']);
    expect(recs[4]).toMatchObject({ records: 3, lost: 0 });
  });

  it('skips malformed records with one log line', () => {
    const { c, ring, read, logs } = setup();
    const bad = syscallRecord({ nr: 0, seq: 0 });
    bad.writeUInt32LE(20, 4);
    ring.produce(bad);
    ring.produce(syscallRecord({ nr: 0, seq: 1 }));
    c.tick(0);
    c.tick(100);
    expect(logs.length).toBe(1);
    expect(read().map((r) => r.type)).toEqual(['header', 'gap', 'syscall']);
  });
});
