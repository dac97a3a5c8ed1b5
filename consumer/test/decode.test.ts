import { describe, expect, it } from 'vitest';
import { BootClock } from '../src/clock.js';
import { decodeRecord, MalformedRecord, RecordView, type DecodedRecord } from '../src/decode.js';
import { Flag } from '../src/layout.js';
import { TraceRecord, type SyscallRecord } from '../src/schema.js';
import { SYSCALL_NAMES_X86_64 } from '../src/syscalls_x86_64.js';
import { execRecord, exitRecord, forkRecord, sockaddrIn, sockaddrIn6, sockaddrUn, syscallRecord, throttleRecord, toArrayBuffer } from './encode.js';

// 2026-12-03T00:00:00Z − 1000 s of boot time
const clock = BootClock.fixed(Date.UTC(2026, 11, 3) / 1000 - 1000);
const ctx = { container: 'c1', initPid: 100, clock };

function decode(buf: Buffer): DecodedRecord {
  const rec = decodeRecord(new RecordView(toArrayBuffer(buf)), 0, buf.length, ctx);
  expect(rec).not.toBeNull();
  const res = TraceRecord.safeParse(rec); // everything the decoder makes must fit the schema
  if (!res.success) throw new Error(JSON.stringify(res.error.issues));
  return rec!;
}
const sc = (buf: Buffer) => decode(buf) as SyscallRecord;
const AT_FDCWD = -100n;

describe('syscall records', () => {
  it('decodes openat with pathname, dirfd, flags and raw args', () => {
    const r = sc(syscallRecord({
      nr: 257, seq: 7, tsBootNs: 1000_123456789n, pid: 4321, tid: 4322, vpid: 1, vtid: 2, ppid: 4000,
      uid: 1000, gid: 1001, comm: 'cat', ret: 3n, args: [AT_FDCWD, 0x7ffc0000n, 0x80000n, 0o644n], str0: '/etc/passwd', durNs: 5000n,
    }));
    expect(r).toMatchObject({
      type: 'syscall', seq: 7, ts: '2026-12-03T00:00:00.123456789Z', container: 'c1', phase: 'workload',
      pid: 4321, tid: 4322, vpid: 1, vtid: 2, ppid: 4000, uid: 1000, gid: 1001, comm: 'cat',
      syscall: 'openat', nr: 257, ret: 3, errno: null, dur_ns: 5000,
    });
    expect(r.args).toEqual({
      dirfd: -100, pathname: '/etc/passwd', flags: 0x80000, mode: 0o644,
      raw: ['18446744073709551516', String(0x7ffc0000), String(0x80000), '420', '0', '0'],
    });
  });

  it('maps a negative return to an errno name', () => {
    const r = sc(syscallRecord({ nr: 257, ret: -2n, args: [AT_FDCWD], str0: '/nope' }));
    expect(r.ret).toBe(-2);
    expect(r.errno).toBe('ENOENT');
    expect(sc(syscallRecord({ nr: 0, ret: -11n })).errno).toBe('EAGAIN');
    expect(sc(syscallRecord({ nr: 0, ret: -512n })).errno).toBe('ERESTARTSYS');
    expect(sc(syscallRecord({ nr: 9, ret: -5000n })).errno).toBeNull();
  });

  it('writes a return outside the safe integer range as a decimal string', () => {
    const r = sc(syscallRecord({ nr: 9, ret: 0x7fff_ffff_ffff_fff0n }));
    expect(r.ret).toBe('9223372036854775792');
    expect(r.errno).toBeNull();
    expect(sc(syscallRecord({ nr: 9, ret: 0x1f_ffff_ffff_ffffn })).ret).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('marks the runtime phase', () => {
    expect(sc(syscallRecord({ nr: 0, flags: 0 })).phase).toBe('runtime');
  });

  it('decodes execve filename and argv', () => {
    const r = sc(syscallRecord({ nr: 59, flags: Flag.WORKLOAD | Flag.STR1_ARGV, str0: '/bin/sh', str1: 'sh\0-c\0echo hi\0' }));
    expect(r.syscall).toBe('execve');
    expect(r.args.filename).toBe('/bin/sh');
    expect(r.args.argv).toEqual(['sh', '-c', 'echo hi']);
    expect(r.args.argv_truncated).toBeUndefined();
  });

  it('flags truncated strings', () => {
    const r = sc(syscallRecord({ nr: 59, flags: Flag.WORKLOAD | Flag.STR1_ARGV | Flag.STR0_TRUNC | Flag.STR1_TRUNC, str0: 'x'.repeat(300), str1: 'a\0b' }));
    expect(r.args.filename).toBe('x'.repeat(255));
    expect(r.args.filename_truncated).toBe(true);
    expect(r.args.argv).toEqual(['a', 'b']);
    expect(r.args.argv_truncated).toBe(true);
    const o = sc(syscallRecord({ nr: 257, flags: Flag.WORKLOAD | Flag.STR0_TRUNC, str0: '/very/long' }));
    expect(o.args.pathname_truncated).toBe(true);
  });

  it('decodes rename/link/symlink paths', () => {
    expect(sc(syscallRecord({ nr: 82, str0: '/a', str1: '/b' })).args).toMatchObject({ oldpath: '/a', newpath: '/b' });
    const r = sc(syscallRecord({ nr: 316, args: [3n, 0n, AT_FDCWD, 0n, 1n], str0: 'a', str1: 'b' }));
    expect(r.syscall).toBe('renameat2');
    expect(r.args).toMatchObject({ olddirfd: 3, oldpath: 'a', newdirfd: -100, newpath: 'b', flags: 1 });
    expect(sc(syscallRecord({ nr: 266, args: [0n, 5n], str0: '../t', str1: 'l' })).args).toMatchObject({ oldpath: '../t', newdirfd: 5, newpath: 'l' });
  });

  it('decodes sockaddrs of connect/bind/accept', () => {
    const sa = Flag.WORKLOAD | Flag.STR1_SOCKADDR;
    expect(sc(syscallRecord({ nr: 42, flags: sa, args: [3n], str1: sockaddrIn([10, 0, 0, 1], 8080) })).args).toMatchObject({ fd: 3, addr: '10.0.0.1:8080', family: 'AF_INET' });
    expect(sc(syscallRecord({ nr: 49, flags: sa, args: [4n], str1: sockaddrIn6([0, 0, 0, 0, 0, 0, 0, 1], 443) })).args.addr).toBe('[::1]:443');
    expect(sc(syscallRecord({ nr: 43, flags: sa, args: [5n], str1: sockaddrUn('/run/x.sock') })).args.addr).toBe('/run/x.sock');
    expect(sc(syscallRecord({ nr: 44, flags: sa, args: [5n], str1: sockaddrIn([1, 2, 3, 4], 53) })).args).toMatchObject({ fd: 5, addr: '1.2.3.4:53', family: 'AF_INET' });
  });

  it('keeps fd arguments signed and unknown numbers named', () => {
    expect(sc(syscallRecord({ nr: 3, args: [0xffffffffn] })).args.fd).toBe(-1);
    const r = sc(syscallRecord({ nr: 1000 }));
    expect(r.syscall).toBe('syscall_1000');
    expect(sc(syscallRecord({ nr: 452 })).syscall).toBe('fchmodat2');
  });

  it('names the fd of sendfile, splice, tee and copy_file_range as read and write do', () => {
    const nr = (name: string) => SYSCALL_NAMES_X86_64.indexOf(name);
    // sendfile(out_fd, in_fd, offset, count), as nginx sends a file to a socket
    expect(sc(syscallRecord({ nr: 40, args: [7n, 12n, 0x7ffc0000n, 0x80000n], ret: 0x80000n })).args)
      .toMatchObject({ fd: 7, out_fd: 7, in_fd: 12 });
    expect(sc(syscallRecord({ nr: nr('splice'), args: [3n, 0n, 4n, 0n, 65536n, 0n] })).args).toMatchObject({ fd: 3, fd_in: 3, fd_out: 4 });
    expect(sc(syscallRecord({ nr: nr('tee'), args: [3n, 4n, 65536n] })).args).toMatchObject({ fd: 3, fd_in: 3, fd_out: 4 });
    expect(sc(syscallRecord({ nr: nr('copy_file_range'), args: [5n, 0n, 6n, 0n, 4096n] })).args).toMatchObject({ fd: 5, fd_in: 5, fd_out: 6 });
    // every call whose first argument is the descriptor it works on has it as args.fd
    for (const name of ['read', 'write', 'pread64', 'pwrite64', 'readv', 'writev', 'preadv2', 'fstat', 'accept4', 'sendfile',
      'splice', 'copy_file_range', 'close_range', 'setns', 'io_uring_enter', 'signalfd4', 'cachestat']) {
      expect(nr(name), name).toBeGreaterThanOrEqual(0);
      expect(sc(syscallRecord({ nr: nr(name), args: [9n, 1n, 2n] })).args.fd, name).toBe(9);
    }
    expect(sc(syscallRecord({ nr: nr('epoll_wait'), args: [4n, 0x7ffc0000n, 512n, 0xffffffffn] })).args).toMatchObject({ epfd: 4 });
    expect(sc(syscallRecord({ nr: nr('newfstatat'), args: [5n], str0: '' })).args).toMatchObject({ dirfd: 5, pathname: '' });
  });

  it('keeps strings of syscalls it has no names for', () => {
    const r = sc(syscallRecord({ nr: 188, str0: '/f', str1: 'user.x' }));
    expect(r.syscall).toBe('setxattr');
    expect(r.args).toMatchObject({ pathname: '/f', str1: 'user.x' });
  });
});

describe('process records', () => {
  it('decodes fork (process and thread)', () => {
    expect(decode(forkRecord({ pid: 100, childPid: 101, childVpid: 2 }))).toMatchObject({
      type: 'process', event: 'fork', pid: 100, child_pid: 101, child_tid: 101, child_vpid: 2, thread: false, init: true,
    });
    expect(decode(forkRecord({ pid: 200, flags: Flag.THREAD, childPid: 200, childTid: 201 }))).toMatchObject({ thread: true, init: false, child_tid: 201 });
  });

  it('decodes exec', () => {
    expect(decode(execRecord({ pid: 100, comm: 'nginx', filename: '/usr/sbin/nginx' }))).toMatchObject({
      type: 'process', event: 'exec', filename: '/usr/sbin/nginx', comm: 'nginx', old_tid: 100, thread: false, init: true,
    });
  });

  it('decodes exit status and signal', () => {
    expect(decode(exitRecord({ pid: 100, flags: Flag.WORKLOAD | Flag.GROUP_DEAD | Flag.INIT, waitStatus: 3 << 8 }))).toMatchObject({
      event: 'exit', wait_status: 768, exit_code: 3, signal: null, core_dumped: false, thread: false, init: true,
    });
    expect(decode(exitRecord({ pid: 101, flags: Flag.GROUP_DEAD, waitStatus: 9 }))).toMatchObject({ exit_code: null, signal: 'SIGKILL', init: false, thread: false });
    expect(decode(exitRecord({ pid: 101, flags: 0, waitStatus: 0x80 | 11 }))).toMatchObject({ signal: 'SIGSEGV', core_dumped: true, thread: true });
  });
});

describe('throttle records', () => {
  const base = { seq: 9, tsBootNs: 1003_000000000n, pid: 4321, tid: 4321, comm: 'flood', startNs: 1001_000000000n, endNs: 1002_500000000n, rateLimit: 1000 };
  it('decodes the window, the count and the breakdown, largest first, named', () => {
    const r = decode(throttleRecord({ ...base, suppressed: 99_000n, other: 7n, top: [[39, 993], [110, 98_000]] }));
    expect(r).toEqual({
      type: 'throttle', seq: 9, ts: '2026-12-03T00:00:03.000000000Z', container: 'c1', phase: 'workload',
      pid: 4321, tid: 4321, vpid: 1, vtid: 1, ppid: 99, uid: 0, gid: 0, comm: 'flood',
      start: '2026-12-03T00:00:01.000000000Z', end: '2026-12-03T00:00:02.500000000Z', suppressed: 99_000, rate_limit: 1000,
      by_syscall: [{ syscall: 'getppid', nr: 110, count: 98_000 }, { syscall: 'getpid', nr: 39, count: 993 }], other: 7,
    });
  });
  it('rejects a short record, too many entries and syscall numbers past the table', () => {
    const ok = throttleRecord({ ...base, suppressed: 1n, other: 0n, top: [[110, 1]] });
    expect(() => decodeRecord(new RecordView(toArrayBuffer(ok.subarray(0, 120))), 0, 120, ctx)).toThrow(MalformedRecord);
    const many = Buffer.from(ok);
    many.writeUInt32LE(9, 116);
    expect(() => decodeRecord(new RecordView(toArrayBuffer(many)), 0, many.length, ctx)).toThrow(/9 syscalls/);
    const far = throttleRecord({ ...base, suppressed: 1n, other: 0n, top: [[512, 1]] });
    expect(() => decodeRecord(new RecordView(toArrayBuffer(far)), 0, far.length, ctx)).toThrow(/syscall 512/);
  });
});

describe('malformed input', () => {
  it('rejects records whose size does not fit', () => {
    const b = syscallRecord({ nr: 0 });
    expect(() => decodeRecord(new RecordView(toArrayBuffer(b)), 0, 40, ctx)).toThrow(MalformedRecord);
    b.writeUInt32LE(5000, 4);
    expect(() => decodeRecord(new RecordView(toArrayBuffer(b)), 0, b.length, ctx)).toThrow(MalformedRecord);
    const s = syscallRecord({ nr: 257, str0: '/x' });
    s.writeUInt32LE(200, 4); // claims strings but is too short for them
    expect(() => decodeRecord(new RecordView(toArrayBuffer(s)), 0, s.length, ctx)).toThrow(MalformedRecord);
  });
  it('skips unknown record kinds', () => {
    const b = syscallRecord({ nr: 0 });
    b.writeUInt16LE(99, 0);
    expect(decodeRecord(new RecordView(toArrayBuffer(b)), 0, b.length, ctx)).toBeNull();
  });
});
