// One valid record of every type (also used by docs/SCHEMA.md checks and writer tests).
export const examples = {
  header: {
    type: 'header', v: 1, container: 'web', bundle: '/srv/bundles/web', annotations: { 'io.trace.enabled': 'true' },
    runtime: 'runc-trace 1.2.3', kernel: '6.1.0-28-amd64', host: 'node1', cgroup_id: 12345, init_pid: 4321,
    started: '2026-12-03T16:49:00.123456789Z', slot: 0, gen: 1, consumer: 'runc-trace-consumer 0.1.0',
  },
  syscall: {
    type: 'syscall', seq: 42, ts: '2026-12-03T16:49:00.223456789Z', container: 'web', phase: 'workload', pid: 4321, tid: 4321,
    vpid: 1, vtid: 1, ppid: 4300, uid: 0, gid: 0, comm: 'cat', syscall: 'openat', nr: 257,
    args: { dirfd: -100, pathname: '/etc/shadow', flags: 0, mode: 0, raw: ['18446744073709551516', '140720308486144', '0', '0', '0', '0'] },
    ret: -2, errno: 'ENOENT', dur_ns: 2100,
  },
  fork: {
    type: 'process', event: 'fork', seq: 43, ts: '2026-12-03T16:49:00.323456789Z', container: 'web', phase: 'workload', pid: 4321, tid: 4321,
    vpid: 1, vtid: 1, ppid: 4300, uid: 0, gid: 0, comm: 'sh', child_pid: 4400, child_tid: 4400, child_vpid: 7, child_vtid: 7, thread: false, init: true,
  },
  exec: {
    type: 'process', event: 'exec', seq: 44, ts: '2026-12-03T16:49:00.423456789Z', container: 'web', phase: 'workload', pid: 4400, tid: 4400,
    vpid: 7, vtid: 7, ppid: 4321, uid: 0, gid: 0, comm: 'ls', filename: '/bin/ls', old_tid: 4400, thread: false, init: false,
  },
  processExit: {
    type: 'process', event: 'exit', seq: 45, ts: '2026-12-03T16:49:00.523456789Z', container: 'web', phase: 'workload', pid: 4400, tid: 4400,
    vpid: 7, vtid: 7, ppid: 4321, uid: 0, gid: 0, comm: 'ls', wait_status: 0, exit_code: 0, signal: null, core_dumped: false, thread: false, init: false,
  },
  gap: { type: 'gap', container: 'web', seq_from: 46, seq_to: 99, lost: 54, reason: 'ringbuf-full' },
  throttle: {
    type: 'throttle', seq: 100, ts: '2026-12-03T16:49:02.000000100Z', container: 'web', phase: 'workload', pid: 4321, tid: 4321,
    vpid: 1, vtid: 1, ppid: 4300, uid: 0, gid: 0, comm: 'flood', start: '2026-12-03T16:49:01.000000000Z', end: '2026-12-03T16:49:01.999000000Z',
    suppressed: 99000, rate_limit: 1000, by_syscall: [{ syscall: 'getppid', nr: 110, count: 98990 }, { syscall: 'write', nr: 1, count: 10 }], other: 0,
  },
  exit: { type: 'exit', container: 'web', status: 0, signal: null, records: 1000, lost: 54 },
} as const;
