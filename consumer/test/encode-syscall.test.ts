// encodeSyscall (syscall record → JSONL text without building the object) must give, byte for
// byte, JSON.stringify of what decodeRecord builds, and throw where decodeRecord throws: checked
// over the golden records of `runc-trace-bpf golden`, the hand-written cases of decode.test.ts'
// kind and a seeded fuzz of random records (random names, flags, strings with invalid UTF-8,
// quotes and control characters, 64-bit values past 2^53, trimmed and malformed sizes).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARG_SPECS } from '../src/args.js';
import { BootClock } from '../src/clock.js';
import { decodeRecord, encodeSyscall, MalformedRecord, RecordView, type DecodeContext } from '../src/decode.js';
import { Flag, Hdr, RecordKind, stringsRecordSize, Syscall, TRACE_STR0_MAX, TRACE_STR1_MAX } from '../src/layout.js';
import { SYSCALL_NAMES_X86_64 } from '../src/syscalls_x86_64.js';
import { exitRecord, forkRecord, sockaddrIn, sockaddrIn6, sockaddrUn, syscallRecord, toArrayBuffer } from './encode.js';

const BIN = process.env.RUNC_TRACE_BPF ?? new URL('../../build/bin/runc-trace-bpf', import.meta.url).pathname;

type Outcome = { ok: string | null } | { err: string };

function viaObject(v: RecordView, off: number, len: number, ctx: DecodeContext): Outcome {
  try {
    const r = decodeRecord(v, off, len, ctx);
    return { ok: r === null || r.type !== 'syscall' ? null : JSON.stringify(r) };
  } catch (e) {
    if (!(e instanceof MalformedRecord)) throw e;
    return { err: e.message };
  }
}

function viaText(v: RecordView, off: number, len: number, ctx: DecodeContext): Outcome {
  try {
    const e = encodeSyscall(v, off, len, ctx);
    return { ok: e === null ? null : e.body };
  } catch (e) {
    if (!(e instanceof MalformedRecord)) throw e;
    return { err: e.message };
  }
}

function same(buf: Buffer, ctx: DecodeContext, len = buf.length): void {
  const v = new RecordView(toArrayBuffer(buf));
  const a = viaObject(v, 0, len, ctx);
  const b = viaText(v, 0, len, ctx);
  expect(b, buf.toString('hex')).toEqual(a);
  const isSyscall = buf.length >= Hdr.SIZE && buf.readUInt16LE(Hdr.kind) === RecordKind.SYSCALL;
  if (isSyscall && 'ok' in a) {
    expect(a.ok).not.toBeNull();
    const e = encodeSyscall(v, 0, len, ctx)!;
    expect(e.seq).toBe(Number(buf.readBigUInt64LE(Hdr.seq)));
    expect(e.pid).toBe(buf.readUInt32LE(Hdr.pid));
  }
}

const ctx: DecodeContext = { container: 'c1', initPid: 100, clock: BootClock.fixed(Date.UTC(2026, 11, 3) / 1000 - 1000) };

describe('encodeSyscall = JSON.stringify(decodeRecord(…))', () => {
  it('hand-picked records', () => {
    same(syscallRecord({ nr: 257, seq: 7, pid: 4321, comm: 'cat', ret: 3n, args: [-100n, 0x7ffc0000n, 0x80000n, 0o644n], str0: '/etc/passwd' }), ctx);
    same(syscallRecord({ nr: 257, ret: -2n, args: [-100n], str0: '/nope "quoted" \\ back\nslash\u0001é€😀' }), ctx);
    same(syscallRecord({ nr: 59, flags: Flag.WORKLOAD | Flag.STR1_ARGV | Flag.STR1_TRUNC, str0: '/bin/echo', str1: Buffer.from('echo\0hello\0wo"rld\0') }), ctx);
    same(syscallRecord({ nr: 42, flags: Flag.WORKLOAD | Flag.STR1_SOCKADDR, str1: sockaddrIn([10, 0, 0, 7], 5432), args: [6n], ret: -115n }), ctx);
    same(syscallRecord({ nr: 49, flags: Flag.STR1_SOCKADDR, str1: sockaddrIn6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 443), args: [6n] }), ctx);
    same(syscallRecord({ nr: 42, flags: Flag.STR1_SOCKADDR, str1: sockaddrUn('sock"et', true), args: [6n] }), ctx);
    same(syscallRecord({ nr: 82, str0: '/a', str1: '/b', flags: Flag.STR0_TRUNC | Flag.STR1_TRUNC }), ctx);
    same(syscallRecord({ nr: 165, str0: 'src', str1: '/mnt' }), ctx);
    same(syscallRecord({ nr: 0, str0: 'unnamed', str1: 'strings' }), ctx);
    same(syscallRecord({ nr: 999, ret: -9999n, args: [-1n, -1n, -1n, -1n, -1n, -1n] }), ctx);
    same(syscallRecord({ nr: 0xffffffff, ret: -(2n ** 63n), durNs: 2n ** 64n - 1n, seq: 2 ** 53 + 2, tsBootNs: 2n ** 63n }), ctx);
    same(syscallRecord({ nr: 110, flags: 0, comm: 'na"me\\\u0007' }), { ...ctx, container: 'wéird "id"' });
    same(forkRecord({ childPid: 5 }), ctx); // not a syscall: null both ways
    same(exitRecord({ waitStatus: 0 }), ctx);
    same(Buffer.alloc(8), ctx); // shorter than a header
  });

  it('golden records of runc-trace-bpf', () => {
    if (!existsSync(BIN)) return void console.warn(`golden part SKIPPED: ${BIN} is not built`);
    const file = join(mkdtempSync(join(tmpdir(), 'rt-golden-enc-')), 'golden.bin');
    execFileSync(BIN, ['golden', file]);
    const data = readFileSync(file);
    const v = new RecordView(toArrayBuffer(data));
    let syscalls = 0;
    for (let o = 0; o < data.length; ) {
      const size = v.dv.getUint32(o + Hdr.size, true);
      const a = viaObject(v, o, size, { ...ctx, container: 'golden', initPid: 4242 });
      expect(viaText(v, o, size, { ...ctx, container: 'golden', initPid: 4242 })).toEqual(a);
      if ('ok' in a && a.ok !== null) syscalls++;
      o += (size + 7) & ~7;
    }
    expect(syscalls).toBeGreaterThanOrEqual(2);
  });

  it('every syscall number with a named-argument table takes the text path', () => {
    for (const name of ARG_SPECS.keys()) {
      const nr = SYSCALL_NAMES_X86_64.indexOf(name);
      if (nr < 0) continue;
      const v = new RecordView(toArrayBuffer(syscallRecord({ nr, str0: 'x', str1: 'y' })));
      expect(encodeSyscall(v, 0, v.bytes.length, ctx), name).not.toBeNull();
    }
  });

  it('fuzz: random syscall records', () => {
    let seed = 0x2545f491;
    const rnd = (): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) / 4294967296;
    };
    const int = (n: number): number => Math.floor(rnd() * n);
    const u64 = (): bigint => {
      switch (int(5)) {
        case 0: return BigInt(int(1000));
        case 1: return BigInt(int(2 ** 32));
        case 2: return (BigInt(int(2 ** 21)) << 32n) | BigInt(int(2 ** 32)); // below 2^53
        case 3: return 2n ** 53n + BigInt(int(1000)) - 500n; // around the safe limit
        default: return (BigInt(int(2 ** 32)) << 32n) | BigInt(int(2 ** 32));
      }
    };
    const alphabet = ['a', 'Z', '/', '.', ' ', '"', '\\', '\n', '\t', '\u0001', '\u001f', '\u007f', 'é', '€', '😀', '\u2028', '<', '\''];
    const bytesOf = (max: number): Buffer => {
      if (int(4) === 0) return Buffer.from(Array.from({ length: int(max) }, () => int(256))); // raw bytes, invalid UTF-8
      let s = '';
      const n = int(int(3) === 0 ? max : 40);
      while (Buffer.byteLength(s) < n) s += alphabet[int(alphabet.length)];
      return Buffer.from(s).subarray(0, n);
    };
    const named = [...ARG_SPECS.keys()].map((n) => SYSCALL_NAMES_X86_64.indexOf(n)).filter((n) => n >= 0);
    const bits = [Flag.WORKLOAD, Flag.STR0_TRUNC, Flag.STR1_TRUNC, Flag.STRINGS, Flag.STR1_SOCKADDR, Flag.STR1_ARGV, 1 << 4, 1 << 5, 1 << 6, 1 << 12];
    for (let i = 0; i < 20_000; i++) {
      const full = Buffer.alloc(Syscall.SIZE_WITH_STRINGS);
      full.writeUInt16LE(RecordKind.SYSCALL, Hdr.kind);
      let flags = 0;
      for (const b of bits) if (int(3) === 0) flags |= b;
      full.writeUInt16LE(flags, Hdr.flags);
      full.writeBigUInt64LE(u64(), Hdr.seq);
      full.writeBigUInt64LE(u64(), Hdr.ts_boot_ns);
      for (const f of ['pid', 'tid', 'vpid', 'vtid', 'ppid', 'uid', 'gid'] as const) full.writeUInt32LE(int(3) === 0 ? int(2 ** 32) : int(70000), Hdr[f]);
      bytesOf(16).copy(full, Hdr.comm);
      const nr = int(4) === 0 ? int(600) : int(20) === 0 ? int(2 ** 32) : named[int(named.length)]!;
      full.writeUInt32LE(nr, Syscall.nr);
      full.writeBigUInt64LE(int(2) ? BigInt.asUintN(64, BigInt(int(8192)) - 4200n) : u64(), Syscall.ret);
      for (let k = 0; k < 6; k++) full.writeBigUInt64LE(int(3) === 0 ? BigInt.asUintN(64, BigInt(int(400) - 200)) : u64(), Syscall.args + 8 * k);
      full.writeBigUInt64LE(u64(), Syscall.dur_ns);
      let s0 = bytesOf(TRACE_STR0_MAX);
      let s1 = (flags & Flag.STR1_SOCKADDR) !== 0 && int(2) === 0
        ? [sockaddrIn([int(256), 0, 0, 1], int(65536)), sockaddrIn6([0x2001, int(65536), 0, 0, 0, 0, 0, int(65536)], int(65536)), sockaddrUn('p"a', int(2) === 0), bytesOf(40)][int(4)]!
        : (flags & Flag.STR1_ARGV) !== 0 && int(2) === 0 ? Buffer.from(['sh', '-c', 'echo "hi"\\', ''].slice(0, int(5)).join('\0')) : bytesOf(TRACE_STR1_MAX);
      if (int(10) === 0) s0 = Buffer.alloc(0);
      if (int(10) === 0) s1 = Buffer.alloc(0);
      s0.copy(full, Syscall.str0, 0, Math.min(s0.length, TRACE_STR0_MAX));
      s1.copy(full, Syscall.str1, 0, Math.min(s1.length, TRACE_STR1_MAX));
      // lengths as the kernel gives them, sometimes past the maximum (the decoder clamps)
      const l0 = int(20) === 0 ? TRACE_STR0_MAX + int(100) : Math.min(s0.length, TRACE_STR0_MAX);
      const l1 = int(20) === 0 ? TRACE_STR1_MAX + int(100) : Math.min(s1.length, TRACE_STR1_MAX);
      full.writeUInt16LE(l0, Syscall.str0_len);
      full.writeUInt16LE(l1, Syscall.str1_len);
      let size: number;
      switch (int(8)) {
        case 0: size = Syscall.SIZE_WITH_STRINGS; break;
        case 1: size = Hdr.SIZE + int(Syscall.SIZE_WITH_STRINGS - Hdr.SIZE); break; // malformed for strings records
        case 2: size = (flags & Flag.STRINGS) !== 0 ? stringsRecordSize(l0, l1) : Syscall.SIZE; break;
        case 3: size = int(Hdr.SIZE); break; // shorter than a header
        default: size = (flags & Flag.STRINGS) !== 0 ? stringsRecordSize(l0, l1) : Syscall.SIZE;
      }
      full.writeUInt32LE(size, Hdr.size);
      const len = int(10) === 0 ? int(Syscall.SIZE_WITH_STRINGS) : Math.max(size, Math.min(size + int(16), Syscall.SIZE_WITH_STRINGS));
      const container = int(10) === 0 ? bytesOf(20).toString('utf8') || 'x' : 'c1';
      same(full, { ...ctx, container }, len);
    }
  });
});
