// The consumer's per-record path end to end on one core, without the kernel: a fake ring hands the
// same synthetic records as bench-decode.ts (seq renumbered every pass) to a real TracedContainer
// (decode → sequencer → JsonlWriter with the hash chain → a file on tmpfs).
//   cd consumer && node --import tsx scripts/bench-pipeline.ts [SRC_DIR]
// SRC_DIR (default ../src) lets an old tree run the same workload (A/B). Env: N (records per pass,
// 50,000 ≈ an 8 MiB ring), PASSES (40), OBSERVE=1 (a dashboard observer is installed), HOLE_EVERY=K
// (every K-th number is skipped, as records the kernel dropped: the sequencer holds what follows a
// hole for the reorder window or until MAX_PENDING records wait; 65536 as main.ts had it).
// Prints records per CPU-second (user+sys of the whole process, GC threads included, as row 4a)
// and max RSS.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { Flag, Hdr } from '../src/layout.js';
import { concat, exitRecord, forkRecord, sockaddrIn, syscallRecord, toArrayBuffer } from '../test/encode.js';

const SRC = process.argv[2] ?? new URL('../src', import.meta.url).pathname;
const { BootClock } = await import(`${SRC}/clock.ts`);
const { RecordView } = await import(`${SRC}/decode.ts`);
const { TracedContainer } = await import(`${SRC}/container.ts`);
const writer = await import(`${SRC}/writer.ts`);

const N = Number(process.env.N ?? 50_000);
const PASSES = Number(process.env.PASSES ?? 40);
const HOLE_EVERY = Number(process.env.HOLE_EVERY ?? 0);
const MAX_PENDING = Number(process.env.MAX_PENDING ?? 65536);
const UNIQUE = 2000; // distinct records, repeated to N (keeps the setup's own garbage out of max RSS)
const recs: Buffer[] = [];
for (let i = 0; i < UNIQUE; i++) {
  const m = i % 20;
  const h = { seq: i, tsBootNs: 5_000_000_000_000n + BigInt(i) * 1000n, pid: 4321, comm: 'nginx' };
  if (m < 12) recs.push(syscallRecord({ ...h, nr: [0, 1, 3, 232][m % 4]!, args: [5n, 0x7ffc8a1b2c40n, 4096n], ret: 4096n }));
  else if (m < 18) recs.push(syscallRecord({ ...h, nr: m % 2 ? 257 : 262, args: [-100n, 0x7ffc8a1b2c40n, 0x80000n], str0: `/usr/share/nginx/html/file-${i % 1000}.html`, ret: m % 3 ? 3n : -2n }));
  else if (m === 18) recs.push(syscallRecord({ ...h, nr: 42, flags: Flag.WORKLOAD | Flag.STR1_SOCKADDR, str1: sockaddrIn([10, 0, 0, 7], 5432), args: [6n], ret: -115n }));
  else recs.push(i % 40 === 19 ? forkRecord({ ...h, pid: 4321, childPid: 4321 }) : exitRecord({ ...h, pid: 5000 + i, flags: Flag.WORKLOAD | Flag.GROUP_DEAD, waitStatus: 0 }));
}
const buf = concat(Array.from({ length: N }, (_, i) => recs[i % UNIQUE]!));
const setupRss = Math.round(process.memoryUsage().rss / 1048576);
const view = new RecordView(toArrayBuffer(buf));
const offsets: number[] = [];
const sizes: number[] = [];
for (let o = 0; o < buf.length; ) {
  const size = view.dv.getUint32(o + 4, true);
  offsets.push(o);
  sizes.push(size);
  o += (size + 7) & ~7;
}
let nextSeq = 0;
const reader = {
  drain(sink: (v: unknown, off: number, len: number) => void): number {
    if (pass >= PASSES) return 0;
    pass++;
    for (let i = 0; i < offsets.length; i++) {
      const o = offsets[i]!;
      if (HOLE_EVERY > 0 && i % HOLE_EVERY === HOLE_EVERY - 1) nextSeq++; // a dropped record
      view.dv.setUint32(o + Hdr.seq, nextSeq++, true); // the kernel numbers them; < 2^32 here
      sink(view, o, sizes[i]!);
    }
    return offsets.length;
  },
};
let pass = 0;
const base = fs.existsSync('/dev/shm') ? '/dev/shm' : '/tmp';
const dir = fs.mkdtempSync(join(base, 'rt-bench-pipe-'));
let observed = 0;
if (process.env.OBSERVE === '1') writer.observeWriters({ written() { observed++; }, closed() {} });
const state = { id: 'bench', slot: 0, gen: 1, cgroup_id: 1, init_pid: 4321, ringbuf: '/nonexistent', abi: 1 };
const c = new TracedContainer(state, {
  outDir: dir,
  clock: BootClock.fixed(1_800_000_000),
  openRing: () => ({ reader, close() {} }),
  slotCounters: () => null,
  windowMs: 100,
  maxPending: MAX_PENDING,
  validate: false,
  log: (m: string) => console.error(m),
});
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
let now = 0;
while (pass < PASSES) c.tick((now += 20));
c.finish(now);
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
const total = N * PASSES;
const size = fs.statSync(join(dir, 'bench.jsonl')).size;
fs.rmSync(dir, { recursive: true });
console.log(JSON.stringify({ src: SRC, records: total, cpu_s: +cpuS.toFixed(3), wall_s: +wall.toFixed(3),
  per_cpu_s: Math.round(total / cpuS), per_wall_s: Math.round(total / wall), max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), setup_rss_mb: setupRss,
  bytes_per_line: Math.round(size / total), observed }));
