// Test helper: builds binary records exactly as bpf/trace.h lays them out (offsets from layout.ts).
import { Exec, Exit, Flag, Fork, Hdr, RecordKind, Syscall, Throttle, TRACE_STR0_MAX, TRACE_STR1_MAX } from '../src/layout.js';

export interface HdrFields {
  flags?: number;
  seq?: number;
  tsBootNs?: bigint;
  cgroupId?: bigint;
  pid?: number;
  tid?: number;
  vpid?: number;
  vtid?: number;
  ppid?: number;
  uid?: number;
  gid?: number;
  slot?: number;
  comm?: string;
}

function hdr(buf: Buffer, kind: number, size: number, h: HdrFields): void {
  buf.writeUInt16LE(kind, Hdr.kind);
  buf.writeUInt16LE(h.flags ?? Flag.WORKLOAD, Hdr.flags);
  buf.writeUInt32LE(size, Hdr.size);
  buf.writeBigUInt64LE(BigInt(h.seq ?? 0), Hdr.seq);
  buf.writeBigUInt64LE(h.tsBootNs ?? 1_000_000_000n, Hdr.ts_boot_ns);
  buf.writeBigUInt64LE(h.cgroupId ?? 4242n, Hdr.cgroup_id);
  buf.writeUInt32LE(h.pid ?? 100, Hdr.pid);
  buf.writeUInt32LE(h.tid ?? h.pid ?? 100, Hdr.tid);
  buf.writeUInt32LE(h.vpid ?? 1, Hdr.vpid);
  buf.writeUInt32LE(h.vtid ?? h.vpid ?? 1, Hdr.vtid);
  buf.writeUInt32LE(h.ppid ?? 99, Hdr.ppid);
  buf.writeUInt32LE(h.uid ?? 0, Hdr.uid);
  buf.writeUInt32LE(h.gid ?? 0, Hdr.gid);
  buf.writeUInt32LE(h.slot ?? 0, Hdr.slot);
  buf.write((h.comm ?? 'sh').slice(0, 15), Hdr.comm, 'utf8');
}

export interface SyscallFields extends HdrFields {
  nr: number;
  ret?: bigint;
  args?: bigint[];
  durNs?: bigint;
  str0?: string | Buffer;
  str1?: string | Buffer;
}

export function syscallRecord(f: SyscallFields): Buffer {
  const withStrings = f.str0 !== undefined || f.str1 !== undefined;
  const size = withStrings ? Syscall.SIZE_WITH_STRINGS : Syscall.SIZE;
  const buf = Buffer.alloc(size);
  hdr(buf, RecordKind.SYSCALL, size, { ...f, flags: (f.flags ?? Flag.WORKLOAD) | (withStrings ? Flag.STRINGS : 0) });
  buf.writeBigInt64LE(f.ret ?? 0n, Syscall.ret);
  const args = f.args ?? [];
  for (let i = 0; i < 6; i++) buf.writeBigUInt64LE(BigInt.asUintN(64, args[i] ?? 0n), Syscall.args + 8 * i);
  buf.writeBigUInt64LE(f.durNs ?? 1234n, Syscall.dur_ns);
  buf.writeUInt32LE(f.nr, Syscall.nr);
  if (withStrings) {
    const s0 = typeof f.str0 === 'string' ? Buffer.from(f.str0) : (f.str0 ?? Buffer.alloc(0));
    const s1 = typeof f.str1 === 'string' ? Buffer.from(f.str1) : (f.str1 ?? Buffer.alloc(0));
    const n0 = Math.min(s0.length, TRACE_STR0_MAX - 1);
    const n1 = Math.min(s1.length, TRACE_STR1_MAX - 1);
    s0.copy(buf, Syscall.str0, 0, n0);
    s1.copy(buf, Syscall.str1, 0, n1);
    buf.writeUInt16LE(n0, Syscall.str0_len);
    buf.writeUInt16LE(n1, Syscall.str1_len);
  }
  return buf;
}

export function forkRecord(f: HdrFields & { childPid: number; childTid?: number; childVpid?: number; childVtid?: number }): Buffer {
  const buf = Buffer.alloc(Fork.SIZE);
  hdr(buf, RecordKind.FORK, Fork.SIZE, f);
  buf.writeUInt32LE(f.childPid, Fork.child_pid);
  buf.writeUInt32LE(f.childTid ?? f.childPid, Fork.child_tid);
  buf.writeUInt32LE(f.childVpid ?? 2, Fork.child_vpid);
  buf.writeUInt32LE(f.childVtid ?? f.childVpid ?? 2, Fork.child_vtid);
  return buf;
}

export function execRecord(f: HdrFields & { filename: string; oldTid?: number }): Buffer {
  const buf = Buffer.alloc(Exec.SIZE);
  hdr(buf, RecordKind.EXEC, Exec.SIZE, f);
  const n = Buffer.from(f.filename).copy(buf, Exec.filename, 0, TRACE_STR0_MAX - 1);
  buf.writeUInt32LE(f.oldTid ?? f.tid ?? f.pid ?? 100, Exec.old_tid);
  buf.writeUInt16LE(n, Exec.filename_len);
  return buf;
}

export function exitRecord(f: HdrFields & { waitStatus: number }): Buffer {
  const buf = Buffer.alloc(Exit.SIZE);
  hdr(buf, RecordKind.EXIT, Exit.SIZE, f);
  buf.writeInt32LE(f.waitStatus, Exit.exit_code);
  return buf;
}

/** struct trace_throttle; `top` are [nr, count] pairs */
export function throttleRecord(f: HdrFields & { startNs: bigint; endNs: bigint; suppressed: bigint; other: bigint; rateLimit: number; top: [number, number][] }): Buffer {
  const buf = Buffer.alloc(Throttle.SIZE);
  hdr(buf, RecordKind.THROTTLE, Throttle.SIZE, f);
  buf.writeBigUInt64LE(f.startNs, Throttle.start_ns);
  buf.writeBigUInt64LE(f.endNs, Throttle.end_ns);
  buf.writeBigUInt64LE(f.suppressed, Throttle.suppressed);
  buf.writeBigUInt64LE(f.other, Throttle.other);
  buf.writeUInt32LE(f.rateLimit, Throttle.rate_limit);
  buf.writeUInt32LE(f.top.length, Throttle.ntop);
  f.top.forEach(([nr, count], i) => {
    buf.writeUInt32LE(nr, Throttle.top + i * Throttle.TOP_SIZE);
    buf.writeUInt32LE(count, Throttle.top + i * Throttle.TOP_SIZE + 4);
  });
  return buf;
}

/** struct sockaddr_in */
export function sockaddrIn(ip: [number, number, number, number], port: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(2, 0);
  b.writeUInt16BE(port, 2);
  b.set(ip, 4);
  return b;
}

/** struct sockaddr_in6 from 8 groups */
export function sockaddrIn6(groups: number[], port: number, scope = 0): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(10, 0);
  b.writeUInt16BE(port, 2);
  groups.forEach((g, i) => b.writeUInt16BE(g, 8 + 2 * i));
  b.writeUInt32LE(scope, 24);
  return b;
}

export function sockaddrUn(path: string, abstract = false): Buffer {
  const p = Buffer.from(path);
  const b = Buffer.alloc(2 + (abstract ? 1 : 0) + p.length + (abstract ? 0 : 1));
  b.writeUInt16LE(1, 0);
  p.copy(b, abstract ? 3 : 2);
  return b;
}

/** Records back to back, each 8-byte aligned (the golden file format). */
export function concat(records: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of records) {
    parts.push(r);
    const pad = ((r.length + 7) & ~7) - r.length;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  return Buffer.concat(parts);
}

export function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
