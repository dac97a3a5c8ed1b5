// A dashboard server fed with synthetic records at a fixed rate (no kernel side): the load
// generator for perf.e2e.mjs. Run from consumer/: node --import tsx ../test/e2e/synthetic-server.mts
//   --port P --token T --rate RECORDS_PER_S [--seconds S] --out DIR
import { startDashboard } from '../../consumer/src/server/dashboard.js';
import { RecordHub } from '../../consumer/src/server/hub.js';
import type { TraceRecord } from '../../consumer/src/schema.js';

const arg = (n: string, d?: string) => {
  const i = process.argv.indexOf(`--${n}`);
  return i > 0 ? process.argv[i + 1]! : d!;
};
const rate = Number(arg('rate', '10000'));
const hub = new RecordHub({ backlog: 100_000, keepFinished: 2 });
const d = await startDashboard({ listen: { host: '127.0.0.1', port: Number(arg('port', '0')) }, anyAddress: false, token: arg('token'), outDir: arg('out'), hub });
process.stdout.write(`dashboard: ${d.url}\n`);

const FILE = '/synthetic/load.jsonl';
const names = ['read', 'write', 'openat', 'close', 'fstat', 'mmap', 'futex', 'connect', 'getppid', 'newfstatat'];
let seq = 0;
const iso = () => new Date().toISOString().replace('Z', '000000Z');
hub.record(FILE, {
  type: 'header', v: 1, container: 'load', bundle: null, annotations: {}, runtime: null, kernel: 'synthetic', host: 'synthetic',
  cgroup_id: 1, init_pid: 1000, started: iso(), slot: 0, gen: 1, consumer: 'synthetic',
});
const make = (): TraceRecord => {
  const s = seq++;
  const name = names[s % names.length]!;
  const failed = s % 17 === 0;
  return {
    type: 'syscall', seq: s, ts: iso(), container: 'load', phase: 'workload', pid: 1000 + (s % 8), tid: 1000 + (s % 8), vpid: 1 + (s % 8), vtid: 1 + (s % 8),
    ppid: 999, uid: 0, gid: 0, comm: 'loadgen', syscall: name, nr: s % 300,
    args: { raw: [String(s), '0', '0', '0', '0', '0'], ...(name === 'openat' ? { dirfd: -100, pathname: `/var/lib/app/file-${s % 500}`, flags: 0, mode: 0 } : {}),
      ...(name === 'connect' ? { fd: 3, addr: `10.0.${s % 4}.1:443`, family: 'AF_INET' } : {}) },
    ret: failed ? -2 : 0, errno: failed ? 'ENOENT' : null, dur_ns: 1000 + (s % 5000),
  };
};
const tickMs = 10;
const t0 = Date.now();
let generated = 0;
const end = Date.now() + Number(arg('seconds', '3600')) * 1000;
const t = setInterval(() => {
  // by elapsed time, not by tick count: timers run late on a busy machine
  const n = Math.floor(((Math.min(Date.now(), end) - t0) * rate) / 1000) - generated;
  generated += n;
  for (let i = 0; i < n; i++) hub.record(FILE, make());
  if (seq % 100_000 < n) hub.record(FILE, { type: 'gap', container: 'load', seq_from: seq, seq_to: seq + 9, lost: 10, reason: 'ringbuf-full' }), (seq += 10);
  if (Date.now() > end) {
    clearInterval(t);
    hub.record(FILE, { type: 'exit', container: 'load', status: 0, signal: null, records: seq, lost: 0 });
    hub.closed(FILE);
  }
}, tickMs);
process.on('SIGTERM', () => void d.close().then(() => process.exit(0)));
