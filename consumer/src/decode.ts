/**
 * Binary trace records (bpf/trace.h, offsets in layout.ts) → schema v1 objects.
 *
 * This is the hot path: no validation, no logging, one object per record. Records come from the
 * kernel and are bounds-checked against their own `size` and the struct sizes; a record that does
 * not fit is reported as malformed instead of being read past its end.
 */
import { argSpecs, type ArgSpec } from './args.js';
import type { BootClock } from './clock.js';
import { ERRNO_NAMES } from './errno.js';
import { Exec, Exit, Flag, Fork, Hdr, RecordKind, stringsRecordSize, Syscall, Throttle, TRACE_COMM_LEN, TRACE_STR0_MAX, TRACE_STR1_MAX, TRACE_THROTTLE_NRS, TRACE_THROTTLE_TOP } from './layout.js';
import type { ProcessRecord, SyscallArgs, SyscallRecord, ThrottleRecord } from './schema.js';
import { decodeWaitStatus } from './signals.js';
import { decodeSockaddr } from './sockaddr.js';
import { SYSCALL_NAMES_X86_64 } from './syscalls_x86_64.js';
import { readS64, readU64, readU64Number, readU64String } from './u64.js';

export interface DecodeContext {
  container: string;
  /** host tgid of the container init (from the state file) */
  initPid: number;
  clock: BootClock;
}

export type DecodedRecord = SyscallRecord | ProcessRecord | ThrottleRecord;

/**
 * A syscall record already formatted as its JSONL body (`encodeSyscall`): exactly
 * `JSON.stringify` of the object `decodeRecord` returns for it, without building that object.
 * `pid` and `seq` are all the ordering and the process table need of it.
 */
export class EncodedSyscall {
  readonly type = 'encoded-syscall' as const;
  constructor(readonly seq: number, readonly pid: number, readonly body: string) {}
}

export class MalformedRecord extends Error {}

const SPECS_BY_NR: (readonly ArgSpec[])[] = SYSCALL_NAMES_X86_64.map((n) => argSpecs(n));
const NAME_BY_NR: string[] = SYSCALL_NAMES_X86_64.map((n, nr) => n || `syscall_${nr}`);

function syscallName(nr: number): string {
  return NAME_BY_NR[nr] ?? `syscall_${nr}`;
}

/** A view over one buffer of records: ring buffer data pages, a golden file, a test fixture. */
export class RecordView {
  readonly dv: DataView;
  readonly bytes: Uint8Array;
  readonly buf: Buffer;
  constructor(ab: ArrayBufferLike, byteOffset = 0, byteLength = ab.byteLength - byteOffset) {
    this.dv = new DataView(ab, byteOffset, byteLength);
    this.bytes = new Uint8Array(ab, byteOffset, byteLength);
    this.buf = Buffer.from(ab, byteOffset, byteLength);
  }
}

/** The seq of the record at off (for ordering before a full decode). */
export function recordSeq(v: RecordView, off: number): number {
  return readU64Number(v.dv, off + Hdr.seq);
}

/** First NUL in [start, end), or end. A bounded loop: strings are short and the buffer is large. */
function nulOrEnd(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (bytes[i] === 0) return i;
  return end;
}

function cstr(v: RecordView, start: number, max: number): string {
  return v.buf.toString('utf8', start, nulOrEnd(v.bytes, start, start + max));
}

/**
 * Decodes the record of `len` bytes at `off`. Returns null for record kinds this decoder does not
 * know (a newer kernel side); throws MalformedRecord when sizes are inconsistent.
 */
export function decodeRecord(v: RecordView, off: number, len: number, ctx: DecodeContext): DecodedRecord | null {
  const dv = v.dv;
  if (len < Hdr.SIZE) throw new MalformedRecord(`record of ${len} bytes is shorter than its header`);
  const kind = dv.getUint16(off + Hdr.kind, true);
  const flags = dv.getUint16(off + Hdr.flags, true);
  const size = dv.getUint32(off + Hdr.size, true);
  if (size > len || size < Hdr.SIZE) throw new MalformedRecord(`record size ${size} does not fit ${len} bytes`);

  const pid = dv.getUint32(off + Hdr.pid, true);
  // Field order here is the JSONL key order.
  const base = {
    seq: readU64(dv, off + Hdr.seq),
    ts: ctx.clock.formatBoot(dv.getUint32(off + Hdr.ts_boot_ns + 4, true), dv.getUint32(off + Hdr.ts_boot_ns, true)),
    container: ctx.container,
    phase: (flags & Flag.WORKLOAD) !== 0 ? ('workload' as const) : ('runtime' as const),
    pid,
    tid: dv.getUint32(off + Hdr.tid, true),
    vpid: dv.getUint32(off + Hdr.vpid, true),
    vtid: dv.getUint32(off + Hdr.vtid, true),
    ppid: dv.getUint32(off + Hdr.ppid, true),
    uid: dv.getUint32(off + Hdr.uid, true),
    gid: dv.getUint32(off + Hdr.gid, true),
    comm: cstr(v, off + Hdr.comm, TRACE_COMM_LEN),
  };

  switch (kind) {
    case RecordKind.SYSCALL:
      return decodeSyscall(v, off, size, flags, base);
    case RecordKind.FORK: {
      if (size < Fork.SIZE) throw new MalformedRecord(`fork record of ${size} bytes`);
      return {
        type: 'process',
        event: 'fork',
        ...base,
        child_pid: dv.getUint32(off + Fork.child_pid, true),
        child_tid: dv.getUint32(off + Fork.child_tid, true),
        child_vpid: dv.getUint32(off + Fork.child_vpid, true),
        child_vtid: dv.getUint32(off + Fork.child_vtid, true),
        thread: (flags & Flag.THREAD) !== 0,
        init: pid === ctx.initPid,
      };
    }
    case RecordKind.EXEC: {
      if (size < Exec.SIZE) throw new MalformedRecord(`exec record of ${size} bytes`);
      const flen = Math.min(dv.getUint16(off + Exec.filename_len, true), TRACE_STR0_MAX);
      const rec: ProcessRecord = {
        type: 'process',
        event: 'exec',
        ...base,
        filename: cstr(v, off + Exec.filename, flen),
        old_tid: dv.getUint32(off + Exec.old_tid, true),
        thread: false,
        init: pid === ctx.initPid,
      };
      if ((flags & Flag.STR0_TRUNC) !== 0) rec.filename_truncated = true;
      return rec;
    }
    case RecordKind.EXIT: {
      if (size < Exit.SIZE) throw new MalformedRecord(`exit record of ${size} bytes`);
      const ws = dv.getInt32(off + Exit.exit_code, true);
      const st = decodeWaitStatus(ws);
      return {
        type: 'process',
        event: 'exit',
        ...base,
        wait_status: ws,
        exit_code: st.exitCode,
        signal: st.signal,
        core_dumped: st.coreDumped,
        thread: (flags & Flag.GROUP_DEAD) === 0,
        init: (flags & Flag.INIT) !== 0,
      };
    }
    case RecordKind.THROTTLE: {
      if (size < Throttle.SIZE) throw new MalformedRecord(`throttle record of ${size} bytes`);
      const ntop = dv.getUint32(off + Throttle.ntop, true);
      if (ntop > TRACE_THROTTLE_TOP) throw new MalformedRecord(`throttle record with ${ntop} syscalls`);
      const bySyscall: ThrottleRecord['by_syscall'] = [];
      for (let i = 0; i < ntop; i++) {
        const e = off + Throttle.top + i * Throttle.TOP_SIZE;
        const nr = dv.getUint32(e, true);
        if (nr >= TRACE_THROTTLE_NRS) throw new MalformedRecord(`throttle record names syscall ${nr}`);
        bySyscall.push({ syscall: syscallName(nr), nr, count: dv.getUint32(e + 4, true) });
      }
      bySyscall.sort((a, b) => b.count - a.count || a.nr - b.nr);
      return {
        type: 'throttle',
        ...base,
        start: ctx.clock.formatBoot(dv.getUint32(off + Throttle.start_ns + 4, true), dv.getUint32(off + Throttle.start_ns, true)),
        end: ctx.clock.formatBoot(dv.getUint32(off + Throttle.end_ns + 4, true), dv.getUint32(off + Throttle.end_ns, true)),
        suppressed: readU64(dv, off + Throttle.suppressed),
        rate_limit: dv.getUint32(off + Throttle.rate_limit, true),
        by_syscall: bySyscall,
        other: readU64(dv, off + Throttle.other),
      };
    }
    default:
      return null;
  }
}

type Base = Omit<SyscallRecord, 'type' | 'syscall' | 'nr' | 'args' | 'ret' | 'errno' | 'dur_ns'>;

function decodeSyscall(v: RecordView, off: number, size: number, flags: number, base: Base): SyscallRecord {
  const dv = v.dv;
  if (size < Syscall.SIZE) throw new MalformedRecord(`syscall record of ${size} bytes`);
  const nr = dv.getUint32(off + Syscall.nr, true);
  const name = syscallName(nr);
  const ret = readS64(dv, off + Syscall.ret);
  const a = off + Syscall.args;
  const args: SyscallArgs = {
    raw: [
      readU64String(dv, a),
      readU64String(dv, a + 8),
      readU64String(dv, a + 16),
      readU64String(dv, a + 24),
      readU64String(dv, a + 32),
      readU64String(dv, a + 40),
    ],
  };
  const hasStrings = (flags & Flag.STRINGS) !== 0;
  // Strings records are trimmed to their strings (stringsRecordSize); the full struct is accepted too.
  if (hasStrings && size !== Syscall.SIZE_WITH_STRINGS &&
      size !== stringsRecordSize(dv.getUint16(off + Syscall.str0_len, true), dv.getUint16(off + Syscall.str1_len, true))) {
    throw new MalformedRecord(`syscall record with strings of ${size} bytes`);
  }
  const specs = SPECS_BY_NR[nr];
  const named: Record<string, unknown> = {};
  let usedStr0 = false;
  let usedStr1 = false;
  if (specs !== undefined) {
    for (const spec of specs) {
      switch (spec[1]) {
        case 'int':
          named[spec[0]] = dv.getInt32(a + spec[2] * 8, true);
          break;
        case 'uint':
          named[spec[0]] = dv.getUint32(a + spec[2] * 8, true);
          break;
        case 'str0':
          if (hasStrings) {
            usedStr0 = true;
            putString(v, named, spec[0], off + Syscall.str0, dv.getUint16(off + Syscall.str0_len, true), TRACE_STR0_MAX, (flags & Flag.STR0_TRUNC) !== 0);
          }
          break;
        case 'str1':
          if (hasStrings && (flags & (Flag.STR1_ARGV | Flag.STR1_SOCKADDR)) === 0) {
            usedStr1 = true;
            putString(v, named, spec[0], off + Syscall.str1, dv.getUint16(off + Syscall.str1_len, true), TRACE_STR1_MAX, (flags & Flag.STR1_TRUNC) !== 0);
          }
          break;
        case 'argv':
          if (hasStrings && (flags & Flag.STR1_ARGV) !== 0) {
            usedStr1 = true;
            named.argv = splitArgv(v, off + Syscall.str1, Math.min(dv.getUint16(off + Syscall.str1_len, true), TRACE_STR1_MAX));
            if ((flags & Flag.STR1_TRUNC) !== 0) named.argv_truncated = true;
          }
          break;
        case 'addr':
          if (hasStrings && (flags & Flag.STR1_SOCKADDR) !== 0) {
            usedStr1 = true;
            const sa = decodeSockaddr(v.bytes, off + Syscall.str1, Math.min(dv.getUint16(off + Syscall.str1_len, true), TRACE_STR1_MAX));
            if (sa !== null) {
              named.addr = sa.addr;
              named.family = sa.family;
              if ((flags & Flag.STR1_TRUNC) !== 0) named.addr_truncated = true;
            }
          }
          break;
      }
    }
  }
  // Strings the table does not name (a newer kernel side) are kept rather than dropped.
  if (hasStrings && !usedStr0 && dv.getUint16(off + Syscall.str0_len, true) > 0) {
    putString(v, named, 'str0', off + Syscall.str0, dv.getUint16(off + Syscall.str0_len, true), TRACE_STR0_MAX, (flags & Flag.STR0_TRUNC) !== 0);
  }
  if (hasStrings && !usedStr1 && dv.getUint16(off + Syscall.str1_len, true) > 0 && (flags & (Flag.STR1_ARGV | Flag.STR1_SOCKADDR)) === 0) {
    putString(v, named, 'str1', off + Syscall.str1, dv.getUint16(off + Syscall.str1_len, true), TRACE_STR1_MAX, (flags & Flag.STR1_TRUNC) !== 0);
  }
  Object.assign(args, named);

  let errno: string | null = null;
  if (typeof ret === 'number' && ret < 0 && ret >= -4095) errno = ERRNO_NAMES.get(-ret) ?? `E${-ret}`;

  return {
    type: 'syscall',
    ...base,
    syscall: name,
    nr,
    args,
    ret,
    errno,
    dur_ns: readU64(dv, off + Syscall.dur_ns),
  };
}

function putString(v: RecordView, into: Record<string, unknown>, name: string, start: number, len: number, max: number, truncated: boolean): void {
  const n = Math.min(len, max);
  // The kernel's length excludes the NUL; stop at an embedded NUL all the same.
  into[name] = v.buf.toString('utf8', start, nulOrEnd(v.bytes, start, start + n));
  if (truncated) into[`${name}_truncated`] = true;
}

function splitArgv(v: RecordView, start: number, len: number): string[] {
  const out: string[] = [];
  const end = start + len;
  let s = start;
  while (s < end) {
    const e = nulOrEnd(v.bytes, s, end);
    out.push(v.buf.toString('utf8', s, e));
    s = e + 1;
  }
  return out;
}

// ---- syscall records straight to JSONL text (hot path when nobody needs the object) ----------

/**
 * Per syscall number: the text from `,"syscall":` up to the first raw argument, or null where the
 * object path must be used (argument names that could collide, so that key order or values would
 * differ from JSON.stringify of the decoded object).
 */
const SYSCALL_PREFIX_BY_NR: (string | null)[] = NAME_BY_NR.map((name, nr) => {
  const seen = new Set(['raw', 'str0', 'str0_truncated', 'str1', 'str1_truncated']);
  for (const spec of SPECS_BY_NR[nr] ?? []) {
    const keys = spec[1] === 'int' || spec[1] === 'uint' ? [spec[0]]
      : spec[1] === 'addr' ? ['addr', 'family', 'addr_truncated'] : [spec[0], `${spec[0]}_truncated`];
    for (const k of keys) {
      if (seen.has(k) || /^(0|[1-9][0-9]*)$/.test(k) || k === '__proto__') return null;
      seen.add(k);
    }
  }
  return `,"syscall":${JSON.stringify(name)},"nr":${nr},"args":{"raw":["`;
});
const SPEC_KEYS_BY_NR: (string[] | undefined)[] = SPECS_BY_NR.map((specs) => specs.map((s) => `,${JSON.stringify(s[0])}:`));

let lastContainer = '';
let lastContainerJson = '""';

/** JSON text of a string (JSON.stringify's own fast path for flat strings). */
const q = JSON.stringify as (s: string) => string;

function u64Json(v: number | string): string {
  return typeof v === 'number' ? String(v) : `"${v}"`;
}

/**
 * The JSONL body of the syscall record of `len` bytes at `off`, byte for byte what
 * `JSON.stringify(decodeRecord(v, off, len, ctx))` gives, or null when that record must take the
 * object path (not a syscall record, or a syscall whose argument names the fast path does not
 * handle). Throws MalformedRecord exactly where decodeRecord does.
 */
export function encodeSyscall(v: RecordView, off: number, len: number, ctx: DecodeContext): EncodedSyscall | null {
  const dv = v.dv;
  if (len < Hdr.SIZE) throw new MalformedRecord(`record of ${len} bytes is shorter than its header`);
  if (dv.getUint16(off + Hdr.kind, true) !== RecordKind.SYSCALL) return null;
  const flags = dv.getUint16(off + Hdr.flags, true);
  const size = dv.getUint32(off + Hdr.size, true);
  if (size > len || size < Hdr.SIZE) throw new MalformedRecord(`record size ${size} does not fit ${len} bytes`);
  if (size < Syscall.SIZE) throw new MalformedRecord(`syscall record of ${size} bytes`);
  const nr = dv.getUint32(off + Syscall.nr, true);
  const hasStrings = (flags & Flag.STRINGS) !== 0;
  const str0Len = dv.getUint16(off + Syscall.str0_len, true);
  const str1Len = dv.getUint16(off + Syscall.str1_len, true);
  if (hasStrings && size !== Syscall.SIZE_WITH_STRINGS && size !== stringsRecordSize(str0Len, str1Len)) {
    throw new MalformedRecord(`syscall record with strings of ${size} bytes`);
  }
  const prefix = nr < SYSCALL_PREFIX_BY_NR.length ? SYSCALL_PREFIX_BY_NR[nr]! : `,"syscall":"syscall_${nr}","nr":${nr},"args":{"raw":["`;
  if (prefix === null) return null;

  if (ctx.container !== lastContainer) {
    lastContainer = ctx.container;
    lastContainerJson = q(ctx.container);
  }
  const pid = dv.getUint32(off + Hdr.pid, true);
  const seqV = readU64(dv, off + Hdr.seq);
  const a = off + Syscall.args;
  let s = `{"type":"syscall","seq":${u64Json(seqV)},"ts":"${ctx.clock.formatBoot(dv.getUint32(off + Hdr.ts_boot_ns + 4, true), dv.getUint32(off + Hdr.ts_boot_ns, true))}","container":${lastContainerJson},"phase":${(flags & Flag.WORKLOAD) !== 0 ? '"workload"' : '"runtime"'},"pid":${pid},"tid":${dv.getUint32(off + Hdr.tid, true)},"vpid":${dv.getUint32(off + Hdr.vpid, true)},"vtid":${dv.getUint32(off + Hdr.vtid, true)},"ppid":${dv.getUint32(off + Hdr.ppid, true)},"uid":${dv.getUint32(off + Hdr.uid, true)},"gid":${dv.getUint32(off + Hdr.gid, true)},"comm":${q(cstr(v, off + Hdr.comm, TRACE_COMM_LEN))}${prefix}${readU64String(dv, a)}","${readU64String(dv, a + 8)}","${readU64String(dv, a + 16)}","${readU64String(dv, a + 24)}","${readU64String(dv, a + 32)}","${readU64String(dv, a + 40)}"]`;

  // Named arguments, in the order (and under the conditions) of decodeSyscall.
  const specs = SPECS_BY_NR[nr];
  let usedStr0 = false;
  let usedStr1 = false;
  if (specs !== undefined) {
    const keys = SPEC_KEYS_BY_NR[nr]!;
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      switch (spec[1]) {
        case 'int':
          s += keys[i]! + dv.getInt32(a + spec[2] * 8, true);
          break;
        case 'uint':
          s += keys[i]! + dv.getUint32(a + spec[2] * 8, true);
          break;
        case 'str0':
          if (hasStrings) {
            usedStr0 = true;
            s += stringJson(v, keys[i]!, spec[0], off + Syscall.str0, str0Len, TRACE_STR0_MAX, (flags & Flag.STR0_TRUNC) !== 0);
          }
          break;
        case 'str1':
          if (hasStrings && (flags & (Flag.STR1_ARGV | Flag.STR1_SOCKADDR)) === 0) {
            usedStr1 = true;
            s += stringJson(v, keys[i]!, spec[0], off + Syscall.str1, str1Len, TRACE_STR1_MAX, (flags & Flag.STR1_TRUNC) !== 0);
          }
          break;
        case 'argv':
          if (hasStrings && (flags & Flag.STR1_ARGV) !== 0) {
            usedStr1 = true;
            s += ',"argv":' + q(splitArgv(v, off + Syscall.str1, Math.min(str1Len, TRACE_STR1_MAX)) as unknown as string);
            if ((flags & Flag.STR1_TRUNC) !== 0) s += ',"argv_truncated":true';
          }
          break;
        case 'addr':
          if (hasStrings && (flags & Flag.STR1_SOCKADDR) !== 0) {
            usedStr1 = true;
            const sa = decodeSockaddr(v.bytes, off + Syscall.str1, Math.min(str1Len, TRACE_STR1_MAX));
            if (sa !== null) {
              s += ',"addr":' + q(sa.addr) + ',"family":' + q(sa.family);
              if ((flags & Flag.STR1_TRUNC) !== 0) s += ',"addr_truncated":true';
            }
          }
          break;
      }
    }
  }
  if (hasStrings && !usedStr0 && str0Len > 0) {
    s += stringJson(v, ',"str0":', 'str0', off + Syscall.str0, str0Len, TRACE_STR0_MAX, (flags & Flag.STR0_TRUNC) !== 0);
  }
  if (hasStrings && !usedStr1 && str1Len > 0 && (flags & (Flag.STR1_ARGV | Flag.STR1_SOCKADDR)) === 0) {
    s += stringJson(v, ',"str1":', 'str1', off + Syscall.str1, str1Len, TRACE_STR1_MAX, (flags & Flag.STR1_TRUNC) !== 0);
  }

  const ret = readS64(dv, off + Syscall.ret);
  let errno = 'null';
  if (typeof ret === 'number' && ret < 0 && ret >= -4095) errno = q(ERRNO_NAMES.get(-ret) ?? `E${-ret}`);
  s += `},"ret":${u64Json(ret)},"errno":${errno},"dur_ns":${u64Json(readU64(dv, off + Syscall.dur_ns))}}`;
  return new EncodedSyscall(readU64Number(dv, off + Hdr.seq), pid, s);
}

/** `,"name":"…"` (key given as text) and its `_truncated` sibling, as putString stores them. */
function stringJson(v: RecordView, key: string, name: string, start: number, len: number, max: number, truncated: boolean): string {
  const n = Math.min(len, max);
  const t = key + q(v.buf.toString('utf8', start, nulOrEnd(v.bytes, start, start + n)));
  return truncated ? `${t},"${name}_truncated":true` : t;
}
