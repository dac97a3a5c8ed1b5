/**
 * Binary layout of bpf/trace.h (TRACE_ABI_VERSION 1) — every size and offset the decoder uses.
 * test/layout.test.ts compares this against `runc-trace-bpf layout`, so the two cannot drift.
 * All fields are little-endian (x86_64/arm64 hosts).
 */
export const TRACE_ABI_VERSION = 2;

export const TRACE_COMM_LEN = 16;
export const TRACE_STR0_MAX = 256;
export const TRACE_STR1_MAX = 512;

export const RecordKind = { SYSCALL: 1, FORK: 2, EXEC: 3, EXIT: 4, THROTTLE: 5 } as const;

/** io.trace.rate-limit bounds and the throttle record's breakdown (trace.h). */
export const TRACE_MAX_RATE = 10_000_000;
export const TRACE_THROTTLE_TOP = 8;
export const TRACE_THROTTLE_NRS = 512;

export const Flag = {
  WORKLOAD: 1 << 0,
  STR0_TRUNC: 1 << 1,
  STR1_TRUNC: 1 << 2,
  STRINGS: 1 << 3,
  THREAD: 1 << 4,
  GROUP_DEAD: 1 << 5,
  INIT: 1 << 6,
  STR1_SOCKADDR: 1 << 7,
  STR1_ARGV: 1 << 8,
} as const;

/** struct trace_hdr */
export const Hdr = {
  kind: 0, // u16
  flags: 2, // u16
  size: 4, // u32
  seq: 8, // u64
  ts_boot_ns: 16, // u64
  cgroup_id: 24, // u64
  pid: 32,
  tid: 36,
  vpid: 40,
  vtid: 44,
  ppid: 48,
  uid: 52,
  gid: 56,
  slot: 60,
  comm: 64, // char[16]
  SIZE: 80,
} as const;

/** struct trace_syscall (offsets from the record start) */
export const Syscall = {
  ret: 80, // s64
  args: 88, // u64[6]
  dur_ns: 136, // u64
  nr: 144, // u32
  str0_len: 148, // u16
  str1_len: 150, // u16
  SIZE: 152,
  /** struct trace_syscall_strings */
  str0: 152,
  str1: 152 + TRACE_STR0_MAX,
  SIZE_WITH_STRINGS: 152 + TRACE_STR0_MAX + TRACE_STR1_MAX,
} as const;

/**
 * hdr.size of a syscall record with strings as the kernel writes it (trace.h trace_strings_size):
 * trimmed after str1 when str1_len > 0, else after str0; 8-byte aligned; at most SIZE_WITH_STRINGS.
 */
export function stringsRecordSize(str0Len: number, str1Len: number): number {
  const raw = str1Len > 0 ? Syscall.str1 + str1Len : Syscall.SIZE + str0Len;
  return Math.min((raw + 7) & ~7, Syscall.SIZE_WITH_STRINGS);
}

/** struct trace_fork */
export const Fork = { child_pid: 80, child_tid: 84, child_vpid: 88, child_vtid: 92, SIZE: 96 } as const;

/** struct trace_exec */
export const Exec = { old_tid: 80, filename_len: 84, filename: 88, SIZE: 88 + TRACE_STR0_MAX } as const;

/** struct trace_exit */
export const Exit = { exit_code: 80, SIZE: 88 } as const;

/** struct trace_throttle: top[] is TRACE_THROTTLE_TOP struct trace_throttle_nr { u32 nr; u32 count } */
export const Throttle = { start_ns: 80, end_ns: 88, suppressed: 96, other: 104, rate_limit: 112, ntop: 116, top: 120, TOP_SIZE: 8, SIZE: 184 } as const;

/** struct trace_slot (value of map `slots`, key = u32 slot) */
export const Slot = {
  cgroup_id: 0, seq: 8, lost: 16, gen: 24, init_pid: 28, throttled: 32, tat: 40, interval_ns: 48, rate_limit: 56, pad: 60, SIZE: 64,
} as const;

/** BPF ring buffer framing (include/uapi/linux/bpf.h). */
export const Ringbuf = {
  BUSY_BIT: 0x80000000,
  DISCARD_BIT: 0x40000000,
  HDR_SZ: 8,
} as const;
