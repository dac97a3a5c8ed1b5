// The container's text path for syscall records (encodeSyscall → JsonlWriter.writeEncoded, taken
// when neither --validate nor a dashboard observer needs record objects) writes the same bytes,
// hash chain included, as the object path; with an observer the dashboard sees the same objects.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BootClock } from '../src/clock.js';
import { TracedContainer } from '../src/container.js';
import { Flag } from '../src/layout.js';
import type { ContainerState, TraceRecord } from '../src/schema.js';
import type { SlotCounters } from '../src/sequencer.js';
import { verifyFile } from '../src/verify.js';
import { observeWriters, prepareOutDir } from '../src/writer.js';
import { exitRecord, forkRecord, sockaddrIn, syscallRecord } from './encode.js';
import { FakeRing } from './ring.js';

const state: ContainerState = {
  id: 'box', slot: 3, gen: 7, cgroup_id: 4242, init_pid: 100, ringbuf: '/sys/fs/bpf/runc-trace/containers/box',
  armed_boot_ns: 999_000_000_000, abi: 1, meta: { runtime: 'runc-trace 1.2.3' },
};

/** Runs one scripted container (reordering, a gap, strings, argv, sockaddr, processes) and returns its file. */
function run(validate: boolean): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'rt-fast-')), 'out');
  prepareOutDir(dir);
  const ring = new FakeRing(1 << 16);
  let counters: SlotCounters | null = { seq: 0, lost: 0 };
  const c = new TracedContainer(state, {
    outDir: dir, clock: BootClock.fixed(1_800_000_000), windowMs: 50, maxPending: 1000, validate,
    openRing: () => ({ reader: ring.reader(), close: () => {} }),
    slotCounters: () => counters,
    log: () => {},
  });
  ring.produce(syscallRecord({ nr: 59, seq: 0, pid: 100, flags: Flag.STR1_ARGV, str0: '/bin/sh', str1: Buffer.from('sh\0-c\0echo "hi"') }));
  ring.produce(forkRecord({ seq: 2, pid: 100, childPid: 101 }));
  ring.produce(syscallRecord({ nr: 257, seq: 3, pid: 101, args: [-100n, 1n, 0x80000n], str0: '/etc/pa"sswd\u00e9', ret: -2n }));
  ring.produce(syscallRecord({ nr: 0, seq: 1, pid: 100, args: [3n, 2n ** 63n, 4096n], ret: 12n }));
  // seq 4 lost
  ring.produce(syscallRecord({ nr: 42, seq: 5, pid: 101, flags: Flag.WORKLOAD | Flag.STR1_SOCKADDR, str1: sockaddrIn([10, 0, 0, 7], 5432), args: [6n], ret: -115n }));
  ring.produce(syscallRecord({ nr: 110, seq: 6, pid: 102 })); // a `runc exec` process: joins the live set
  counters = { seq: 7, lost: 1 };
  c.tick(0);
  c.tick(60);
  ring.produce(exitRecord({ seq: 7, pid: 101, flags: Flag.WORKLOAD | Flag.GROUP_DEAD, waitStatus: 0 }));
  ring.produce(exitRecord({ seq: 9, pid: 102, flags: Flag.WORKLOAD | Flag.GROUP_DEAD, waitStatus: 0 }));
  ring.produce(syscallRecord({ nr: 1, seq: 8, pid: 100, args: [1n] }));
  ring.produce(exitRecord({ seq: 10, pid: 100, flags: Flag.WORKLOAD | Flag.GROUP_DEAD | Flag.INIT, waitStatus: 0 }));
  counters = { seq: 11, lost: 1 };
  c.tick(100);
  expect(c.done).toBe(true);
  c.finish(100);
  return readFileSync(c.file, 'utf8');
}

afterEach(() => observeWriters(null));

describe('syscall records as text', () => {
  it('the text path writes the file of the object path, byte for byte', () => {
    const objects = run(true);
    const text = run(false);
    expect(text).toBe(objects);
    expect(text.split('\n').filter((l) => l.includes('"type":"syscall"')).length).toBe(6);
    const dir = mkdtempSync(join(tmpdir(), 'rt-fast-v-'));
    const f = join(dir, 'f.jsonl');
    writeFileSync(f, text);
    expect(verifyFile(f).ok).toBe(true);
  });

  it('with an observer installed, the observer gets the same record objects and the file is unchanged', () => {
    const seen: TraceRecord[][] = [[], []];
    let k = 0;
    observeWriters({ written: (_w, r) => seen[k]!.push(JSON.parse(JSON.stringify(r))), closed: () => {} });
    const a = run(true);
    k = 1;
    const b = run(false);
    expect(b).toBe(a);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[0]!.length).toBe(13);
  });
});
