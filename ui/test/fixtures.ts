import type { TraceRecord } from '../src/types.js';

export const header = {
  type: 'header', v: 1, container: 'web', bundle: '/b', annotations: {}, runtime: null, kernel: '6.1', host: 'h',
  cgroup_id: 1, init_pid: 100, started: '2026-12-03T16:49:00.000000000Z', slot: 0, gen: 1, consumer: 'runc-trace-consumer 0.1.0',
} as const satisfies TraceRecord;

let seq = 0;
const ts = (ms: number) => `2026-12-03T16:49:${String(Math.floor(ms / 1000)).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}000000Z`;
const task = (pid: number, ms: number, comm = 'app') => ({
  seq: seq++, ts: ts(ms), container: 'web', phase: 'workload' as const, pid, tid: pid, vpid: pid - 99, vtid: pid - 99, ppid: 1, uid: 0, gid: 0, comm,
});
const RAW = ['0', '0', '0', '0', '0', '0'] as [string, string, string, string, string, string];

export function syscall(name: string, opts: { pid?: number; ms?: number; errno?: string; args?: Record<string, unknown>; phase?: 'runtime'; comm?: string } = {}): TraceRecord {
  return {
    type: 'syscall', ...task(opts.pid ?? 100, opts.ms ?? 0, opts.comm), ...(opts.phase ? { phase: opts.phase } : {}),
    syscall: name, nr: 0, args: { raw: RAW, ...opts.args },
    ret: opts.errno ? -2 : 0, errno: opts.errno ?? null, dur_ns: 1000,
  } as TraceRecord;
}

export const fork = (pid: number, child: number, ms = 0): TraceRecord => ({
  type: 'process', event: 'fork', ...task(pid, ms), child_pid: child, child_tid: child, child_vpid: child - 99, child_vtid: child - 99, thread: false, init: pid === 100,
});
export const exec = (pid: number, filename: string, ms = 0): TraceRecord => ({
  type: 'process', event: 'exec', ...task(pid, ms, filename.split('/').pop()), filename, old_tid: pid, thread: false, init: pid === 100,
});
export const pexit = (pid: number, code: number, ms = 0): TraceRecord => ({
  type: 'process', event: 'exit', ...task(pid, ms), wait_status: code << 8, exit_code: code, signal: null, core_dumped: false, thread: false, init: pid === 100,
});
export const gap = (from: number, to: number): TraceRecord => ({ type: 'gap', container: 'web', seq_from: from, seq_to: to, lost: to - from + 1, reason: 'ringbuf-full' });
export const exitRec = (records: number): TraceRecord => ({ type: 'exit', container: 'web', status: 0, signal: null, records, lost: 0 });
