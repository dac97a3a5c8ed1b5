// Decode throughput on one core from a synthetic buffer: `npm run bench`.
// Mix: 60% syscalls without strings (read/write/close...), 30% with a path (openat/newfstatat),
// 5% connect with a sockaddr, 5% process records. Measures decode alone and decode + sequencer +
// JSON.stringify (what the consumer does per record before the batched write).
import { BootClock } from '../src/clock.js';
import { decodeRecord, recordSeq, RecordView } from '../src/decode.js';
import { Flag } from '../src/layout.js';
import { Sequencer } from '../src/sequencer.js';
import { concat, exitRecord, forkRecord, sockaddrIn, syscallRecord, toArrayBuffer } from '../test/encode.js';

const N = Number(process.env.N ?? 200_000);
const recs: Buffer[] = [];
for (let i = 0; i < N; i++) {
  const m = i % 20;
  const h = { seq: i, tsBootNs: 5_000_000_000_000n + BigInt(i) * 1000n, pid: 4321, comm: 'nginx' };
  if (m < 12) recs.push(syscallRecord({ ...h, nr: [0, 1, 3, 232][m % 4]!, args: [5n, 0x7ffc8a1b2c40n, 4096n], ret: 4096n }));
  else if (m < 18) recs.push(syscallRecord({ ...h, nr: m % 2 ? 257 : 262, args: [-100n, 0x7ffc8a1b2c40n, 0x80000n], str0: `/usr/share/nginx/html/file-${i % 1000}.html`, ret: m % 3 ? 3n : -2n }));
  else if (m === 18) recs.push(syscallRecord({ ...h, nr: 42, flags: Flag.WORKLOAD | Flag.STR1_SOCKADDR, str1: sockaddrIn([10, 0, 0, 7], 5432), args: [6n], ret: -115n }));
  else recs.push(i % 40 === 19 ? forkRecord({ ...h, childPid: 5000 + i }) : exitRecord({ ...h, pid: 5000 + i, flags: Flag.WORKLOAD | Flag.GROUP_DEAD, waitStatus: 0 }));
}
const buf = concat(recs);
const view = new RecordView(toArrayBuffer(buf));
const offsets: [number, number][] = [];
for (let o = 0; o < buf.length; ) {
  const size = view.dv.getUint32(o + 4, true);
  offsets.push([o, size]);
  o += (size + 7) & ~7;
}
const ctx = { container: 'bench', initPid: 4321, clock: BootClock.fixed(1_800_000_000) };

function run(label: string, withJson: boolean): void {
  let bytes = 0;
  const seq = new Sequencer('bench', (r) => { if (withJson) bytes += JSON.stringify(r).length + 1; }, { windowMs: 100, maxPending: 65536, startSeq: 0 });
  const t0 = process.hrtime.bigint();
  for (const [o, size] of offsets) {
    const rec = decodeRecord(view, o, size, ctx);
    if (withJson) seq.push(recordSeq(view, o), rec!, 0);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label}: ${N} records in ${s.toFixed(3)} s = ${Math.round(N / s).toLocaleString('en')} records/s` +
    (withJson ? `, ${(bytes / N).toFixed(0)} B/line, ${(bytes / s / 1e6).toFixed(0)} MB/s JSONL` : ''));
}
for (let i = 0; i < 2; i++) run('warm-up', true);
run('decode', false);
run('decode+order+JSON', true);
