import { describe, expect, it } from 'vitest';
import { BootClock } from '../src/clock.js';
import { ERRNO_NAMES } from '../src/errno.js';
import { decodeWaitStatus, signalName } from '../src/signals.js';
import { decodeSockaddr, formatIPv6 } from '../src/sockaddr.js';
import { SYSCALL_NAMES_X86_64 } from '../src/syscalls_x86_64.js';
import { readS64, readU64, readU64String } from '../src/u64.js';
import { sockaddrIn, sockaddrIn6, sockaddrUn } from './encode.js';

describe('syscall and errno tables', () => {
  it('has the x86_64 numbers', () => {
    expect(SYSCALL_NAMES_X86_64[0]).toBe('read');
    expect(SYSCALL_NAMES_X86_64[59]).toBe('execve');
    expect(SYSCALL_NAMES_X86_64[257]).toBe('openat');
    expect(SYSCALL_NAMES_X86_64[322]).toBe('execveat');
    expect(SYSCALL_NAMES_X86_64[437]).toBe('openat2');
    expect(SYSCALL_NAMES_X86_64[335]).toBe('uretprobe');
    expect(SYSCALL_NAMES_X86_64[400]).toBe(''); // unassigned (337..423 were never used on x86_64)
  });
  it('has errno names, primary names for aliases', () => {
    expect(ERRNO_NAMES.get(1)).toBe('EPERM');
    expect(ERRNO_NAMES.get(2)).toBe('ENOENT');
    expect(ERRNO_NAMES.get(11)).toBe('EAGAIN');
    expect(ERRNO_NAMES.get(35)).toBe('EDEADLK');
    expect(ERRNO_NAMES.get(111)).toBe('ECONNREFUSED');
    expect(ERRNO_NAMES.get(133)).toBe('EHWPOISON');
  });
  it('generated files are up to date with the generators', async () => {
    const { execFileSync } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    const files = ['src/syscalls_x86_64.ts', 'src/errno.ts'];
    const before = files.map((f) => readFileSync(new URL(`../${f}`, import.meta.url), 'utf8'));
    execFileSync('node', ['scripts/gen-syscalls.mjs'], { cwd: new URL('..', import.meta.url) });
    execFileSync('node', ['scripts/gen-errno.mjs'], { cwd: new URL('..', import.meta.url) });
    files.forEach((f, i) => expect(readFileSync(new URL(`../${f}`, import.meta.url), 'utf8'), `${f} is stale: npm run gen`).toBe(before[i]));
  });
});

describe('signals and wait status', () => {
  it('names signals', () => {
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(34)).toBe('SIGRTMIN+2');
  });
  it('decodes wait statuses', () => {
    expect(decodeWaitStatus(0)).toEqual({ exitCode: 0, signal: null, coreDumped: false });
    expect(decodeWaitStatus(137 << 8)).toEqual({ exitCode: 137, signal: null, coreDumped: false });
    expect(decodeWaitStatus(15)).toEqual({ exitCode: null, signal: 'SIGTERM', coreDumped: false });
    expect(decodeWaitStatus(0x86)).toEqual({ exitCode: null, signal: 'SIGABRT', coreDumped: true });
  });
});

describe('sockaddr', () => {
  const d = (b: Buffer) => decodeSockaddr(b, 0, b.length);
  it('formats IPv4', () => expect(d(sockaddrIn([127, 0, 0, 1], 80))).toEqual({ family: 'AF_INET', addr: '127.0.0.1:80' }));
  it('formats IPv6 per RFC 5952', () => {
    expect(d(sockaddrIn6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 53))!.addr).toBe('[2001:db8::1]:53');
    expect(d(sockaddrIn6([0, 0, 0, 0, 0, 0, 0, 0], 0))!.addr).toBe('[::]:0');
    expect(d(sockaddrIn6([0x2001, 0xdb8, 0, 1, 0, 0, 0, 1], 1))!.addr).toBe('[2001:db8:0:1::1]:1');
    expect(d(sockaddrIn6([0xfe80, 0, 0, 0, 1, 2, 3, 4], 22, 2))!.addr).toBe('[fe80::1:2:3:4%2]:22');
    expect(d(sockaddrIn6([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001], 8080))!.addr).toBe('[::ffff:10.0.0.1]:8080');
    const b = Buffer.alloc(16);
    [1, 0, 0, 2, 0, 0, 3, 4].forEach((g, i) => b.writeUInt16BE(g, 2 * i));
    expect(formatIPv6(b, 0)).toBe('1::2:0:0:3:4') // equal runs: the first one;
  });
  it('formats unix paths, abstract and unnamed', () => {
    expect(d(sockaddrUn('/var/run/docker.sock'))!.addr).toBe('/var/run/docker.sock');
    expect(d(sockaddrUn('name', true))!.addr).toBe('@name');
    expect(d(Buffer.from([1, 0]))!.addr).toBe('');
  });
  it('names other families', () => {
    const nl = Buffer.alloc(12);
    nl.writeUInt16LE(16, 0);
    nl.writeUInt32LE(0, 4);
    nl.writeUInt32LE(1, 8);
    expect(d(nl)).toEqual({ family: 'AF_NETLINK', addr: 'netlink:pid=0,groups=1' });
    expect(d(Buffer.from([99, 0, 1, 2]))).toEqual({ family: 'AF_99', addr: 'family:99' });
    expect(d(Buffer.from([2]))).toBeNull();
    expect(d(Buffer.from([2, 0, 0]))).toEqual({ family: 'AF_INET', addr: 'family:2' });
  });
});

describe('64-bit values', () => {
  const dv = (v: bigint, signed = false) => {
    const b = Buffer.alloc(8);
    if (signed) b.writeBigInt64LE(v);
    else b.writeBigUInt64LE(v);
    return new DataView(b.buffer, b.byteOffset, 8);
  };
  it('is a number while safe and a string beyond', () => {
    expect(readU64(dv(42n), 0)).toBe(42);
    expect(readU64(dv(2n ** 53n - 1n), 0)).toBe(Number.MAX_SAFE_INTEGER);
    expect(readU64(dv(2n ** 53n), 0)).toBe('9007199254740992');
    expect(readS64(dv(-1n, true), 0)).toBe(-1);
    expect(readS64(dv(-(2n ** 53n) + 1n, true), 0)).toBe(-Number.MAX_SAFE_INTEGER);
    expect(readS64(dv(-(2n ** 60n), true), 0)).toBe('-1152921504606846976');
    expect(readU64String(dv(2n ** 64n - 1n), 0)).toBe('18446744073709551615');
    expect(readU64String(dv(0x7ffc12345678n), 0)).toBe(String(0x7ffc12345678));
  });
});

describe('boot clock', () => {
  it('converts boot ns to RFC 3339 UTC with nanoseconds', () => {
    const c = BootClock.fixed(1_700_000_000, 999_999_999);
    expect(c.formatBoot(0, 1)).toBe('2023-11-14T22:13:21.000000000Z');
    expect(c.formatBootValue(5_000_000_002n)).toBe('2023-11-14T22:13:26.000000001Z');
    // beyond 2^53 ns of uptime (104 days) the BigInt path must agree
    const big = 2n ** 53n + 123n;
    const z = BootClock.fixed(0);
    expect(z.formatBootValue(big)).toBe(new Date(Number(big / 1_000_000_000n) * 1000).toISOString().slice(0, 19) + '.' + String(big % 1_000_000_000n).padStart(9, '0') + 'Z');
  });
  it('ignores offset jitter below the slack but follows a clock step', () => {
    let real = 1000;
    const c = new BootClock(() => ({ bootSec: 10, bootNsec: 0, realSec: real, realNsec: 500 }), 1_000_000);
    expect(c.formatBoot(0, 0)).toBe('1970-01-01T00:16:30.000000500Z');
    real = 1000;
    c.resample();
    expect(c.formatBoot(0, 0)).toBe('1970-01-01T00:16:30.000000500Z');
    real = 2000;
    c.resample();
    expect(c.formatBoot(0, 0)).toBe('1970-01-01T00:33:10.000000500Z');
  });
});
