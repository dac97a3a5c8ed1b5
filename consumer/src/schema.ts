/**
 * Trace record schema v1 — the only definition of the JSONL format runc-trace-consumer writes.
 *
 * Every line of DIR/<container>.jsonl is one record; `type` discriminates. TypeScript types,
 * validation and schema/trace-record.v1.schema.json (scripts/gen-schema.ts) all come from here.
 * A future v2 adds an upgrader v1→v2 next to this module instead of version checks in readers.
 *
 * 64-bit integers (seq, ret, dur_ns, cgroup ids) are JSON numbers while they are safe integers
 * (|x| ≤ 2^53−1) and decimal strings beyond that; raw syscall args are always decimal strings.
 */
import { z } from 'zod';

export const SCHEMA_VERSION = 1 as const;

/** Unsigned 64-bit value: a number when ≤ Number.MAX_SAFE_INTEGER, else a decimal string. */
export const U64 = z.union([z.number().int().nonnegative(), z.string().regex(/^[0-9]+$/)]);
/** Signed 64-bit value: a number when a safe integer, else a decimal string. */
export const S64 = z.union([z.number().int(), z.string().regex(/^-?[0-9]+$/)]);
const U32 = z.number().int().nonnegative().max(0xffffffff);
/** RFC 3339, UTC, nanosecond precision: 2026-12-03T16:49:00.123456789Z */
export const Timestamp = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
const ContainerId = z.string().min(1);
export const Phase = z.enum(['workload', 'runtime']);

/**
 * `chain`: the last member of every line (docs/SCHEMA.md, "Hash chain"): hex SHA-256 of the previous
 * line's chain followed by this line without the member. Optional: records built in memory (the
 * decoder, the dashboard) do not carry it; the writer appends it.
 */
export const Chain = z.string().regex(/^[0-9a-f]{64}$/);
const chain = Chain.optional().describe('hash chain: sha256 hex of (previous line\'s chain + this line without this member)');

/** Fields every kernel-originated record (syscall, process) carries: who did it, when. */
const TaskFields = {
  seq: U64.describe('kernel-assigned, per container, from 0; lost records consume numbers too'),
  ts: Timestamp,
  container: ContainerId,
  phase: Phase.describe('runtime = runc init before the container execve; workload = after it'),
  pid: U32.describe('host tgid'),
  tid: U32.describe('host tid'),
  vpid: U32.describe('tgid in the task\'s own pid namespace'),
  vtid: U32,
  ppid: U32.describe('host tgid of the real parent'),
  uid: U32,
  gid: U32,
  comm: z.string(),
  chain,
};

export const HeaderRecord = z.object({
  type: z.literal('header'),
  v: z.literal(SCHEMA_VERSION),
  container: ContainerId,
  bundle: z.string().nullable(),
  annotations: z.record(z.string(), z.string()),
  runtime: z.string().nullable().describe('runtime that armed the trace, e.g. "runc-trace 1.2.3"'),
  kernel: z.string().describe('uname -r'),
  host: z.string().describe('hostname'),
  cgroup_id: U64,
  init_pid: U32.describe('host pid of the container init'),
  started: Timestamp.describe('when the tracer was armed for this container'),
  slot: U32,
  gen: U32,
  consumer: z.string().describe('name and version of the program that wrote the file'),
  chain,
});

/**
 * Decoded arguments. `raw` is always present; the named fields appear where the syscall takes
 * them. Strings copied from the task are bounded: a `<name>_truncated: true` sibling says the
 * kernel side stopped copying (length limit or unreadable memory).
 */
export const SyscallArgs = z
  .object({
    raw: z.tuple([z.string(), z.string(), z.string(), z.string(), z.string(), z.string()])
      .describe('the six argument registers at entry, unsigned, decimal'),
    fd: z.number().int().optional().describe('the descriptor the call works on, signed; for sendfile, splice, tee and copy_file_range the first one (also named out_fd / fd_in)'),
    dirfd: z.number().int().optional().describe('-100 = AT_FDCWD'),
    olddirfd: z.number().int().optional(),
    newdirfd: z.number().int().optional(),
    pathname: z.string().optional(),
    pathname_truncated: z.literal(true).optional(),
    filename: z.string().optional(),
    filename_truncated: z.literal(true).optional(),
    argv: z.array(z.string()).optional(),
    argv_truncated: z.literal(true).optional(),
    oldpath: z.string().optional(),
    oldpath_truncated: z.literal(true).optional(),
    newpath: z.string().optional(),
    newpath_truncated: z.literal(true).optional(),
    target: z.string().optional(),
    target_truncated: z.literal(true).optional(),
    addr: z.string().optional().describe('"ip:port", "[v6]:port", a unix path ("@name" = abstract), or "family:<n>"'),
    addr_truncated: z.literal(true).optional(),
    family: z.string().optional().describe('AF_INET, AF_INET6, AF_UNIX, …'),
    flags: z.number().int().optional(),
    mode: z.number().int().optional(),
  })
  .catchall(z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]));

export const SyscallRecord = z.object({
  type: z.literal('syscall'),
  ...TaskFields,
  syscall: z.string().describe('x86_64 name; "syscall_<nr>" when the number is unknown'),
  nr: z.number().int().nonnegative(),
  args: SyscallArgs,
  ret: S64,
  errno: z.string().nullable().describe('name of -ret when ret is in [-4095, -1], else null'),
  dur_ns: U64,
});

const ProcessFork = z.object({
  type: z.literal('process'),
  event: z.literal('fork'),
  ...TaskFields,
  child_pid: U32,
  child_tid: U32,
  child_vpid: U32,
  child_vtid: U32,
  thread: z.boolean().describe('CLONE_THREAD: a new thread of pid, not a new process'),
  init: z.boolean().describe('the parent is the container init'),
});

const ProcessExec = z.object({
  type: z.literal('process'),
  event: z.literal('exec'),
  ...TaskFields,
  filename: z.string(),
  filename_truncated: z.literal(true).optional(),
  old_tid: U32.describe('tid before the exec (a non-leader thread may exec)'),
  thread: z.literal(false),
  init: z.boolean(),
});

const ProcessExit = z.object({
  type: z.literal('process'),
  event: z.literal('exit'),
  ...TaskFields,
  wait_status: z.number().int().describe('task->exit_code as wait(2) reports it'),
  exit_code: z.number().int().nullable().describe('WEXITSTATUS when it exited normally, else null'),
  signal: z.string().nullable().describe('terminating signal name (WTERMSIG), else null'),
  core_dumped: z.boolean(),
  thread: z.boolean().describe('a thread exited and the process lives on'),
  init: z.boolean().describe('the container init process exited'),
});

export const ProcessRecord = z.discriminatedUnion('event', [ProcessFork, ProcessExec, ProcessExit]);

export const GapReason = z.enum([
  'ringbuf-full', // the kernel could not reserve ring buffer space; counted in the slot's `lost`
  'unaccounted', // numbers never seen and not covered by the `lost` counter
  'consumer-restart', // consumed by an earlier consumer run whose file was continued
  'write-error', // drained but could not be written (disk full, I/O error); the consumer kept running
  'no-consumer', // never read: the container was deleted while no consumer ran and its ring could not be spilled
]);

export const GapRecord = z.object({
  type: z.literal('gap'),
  container: ContainerId,
  seq_from: U64,
  seq_to: U64.describe('inclusive'),
  lost: U64,
  reason: GapReason,
  chain,
});

/**
 * `throttle`: syscall records io.trace.rate-limit suppressed (counted by the kernel, never
 * written) since the previous throttle record. Written before the record that ended the window;
 * its task fields name that record's task. Suppressed records take no seq number: they are not a
 * gap. suppressed = sum(by_syscall[].count) + other.
 */
export const ThrottleRecord = z.object({
  type: z.literal('throttle'),
  ...TaskFields,
  start: Timestamp.describe('exit of the first suppressed syscall'),
  end: Timestamp.describe('exit of the last suppressed syscall (approximate when several CPUs were throttled)'),
  suppressed: U64,
  rate_limit: U32.describe('records per second (io.trace.rate-limit)'),
  by_syscall: z.array(z.object({ syscall: z.string(), nr: z.number().int().nonnegative(), count: U32 }))
    .describe('up to 8 syscalls with the most suppressed records, largest first'),
  other: U64.describe('suppressed records of syscalls not in by_syscall'),
});

export const ExitRecord = z.object({
  type: z.literal('exit'),
  container: ContainerId,
  status: z.number().int().nullable().describe('init exit code, null if killed by a signal or not seen'),
  signal: z.string().nullable().describe('signal that killed init, else null'),
  records: U64.describe('syscall, process and throttle records written'),
  lost: U64.describe('records lost (sum of gap.lost)'),
  lost_by_reason: z.partialRecord(GapReason, z.number().int().nonnegative()).optional()
    .describe('lost split by gap reason (reasons without loss may be absent)'),
  throttled: U64.optional().describe('syscall records suppressed by io.trace.rate-limit (sum of throttle.suppressed; absent = 0); not lost'),
  head: z.string().regex(/^[0-9a-f]{64}$/).optional().describe('chain of the line before this one'),
  runtime: z.string().nullable().optional().describe('the header\'s runtime string'),
  runtime_sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable().optional()
    .describe('sha256 of the runtime binary beside the consumer (runc-trace) when the file was opened'),
  bpf_sha256: z.string().regex(/^[0-9a-f]{64}$/).nullable().optional()
    .describe('sha256 of runc-trace-bpf (it embeds the BPF object) when the file was opened'),
  source: z.enum(['spill', 'loss-marker']).optional()
    .describe('absent: read from the live ring; spill: from the copy runc-trace-bpf made at disarm while no consumer ran; loss-marker: the copy failed, only counters survived'),
  chain,
});

export const TraceRecord = z.discriminatedUnion('type', [
  HeaderRecord,
  SyscallRecord,
  ProcessRecord,
  GapRecord,
  ThrottleRecord,
  ExitRecord,
]);

export type HeaderRecord = z.infer<typeof HeaderRecord>;
export type SyscallArgs = z.infer<typeof SyscallArgs>;
export type SyscallRecord = z.infer<typeof SyscallRecord>;
export type ProcessRecord = z.infer<typeof ProcessRecord>;
export type GapRecord = z.infer<typeof GapRecord>;
export type ThrottleRecord = z.infer<typeof ThrottleRecord>;
export type ExitRecord = z.infer<typeof ExitRecord>;
export type TraceRecord = z.infer<typeof TraceRecord>;
export type Phase = z.infer<typeof Phase>;
export type GapReason = z.infer<typeof GapReason>;

/** The JSON Schema document, as committed in schema/trace-record.v1.schema.json. */
export function traceRecordJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(TraceRecord, { target: 'draft-2020-12', io: 'output' });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'urn:runc-trace:schema:trace-record:v1',
    title: `runc-trace record, schema v${SCHEMA_VERSION}`,
    description: 'One line of a runc-trace-consumer JSONL file. Generated from consumer/src/schema.ts.',
    ...schema,
  };
}

/** Container state file written by `runc-trace-bpf arm` (ADR 0001), an untrusted edge. */
export const ContainerState = z.object({
  id: ContainerId,
  slot: U32,
  gen: U32,
  cgroup_id: z.union([z.number().int().nonnegative(), z.string().regex(/^[0-9]+$/)]),
  cgroup_path: z.string().optional(),
  init_pid: U32,
  ringbuf: z.string().min(1),
  armed_boot_ns: z.union([z.number().int().nonnegative(), z.string().regex(/^[0-9]+$/)]).optional(),
  abi: z.number().int(),
  meta: z
    .object({
      bundle: z.string().optional(),
      annotations: z.record(z.string(), z.string()).optional(),
      runtime: z.string().optional(),
    })
    .passthrough()
    .optional(),
});
export type ContainerState = z.infer<typeof ContainerState>;

/**
 * First line of a spill file or loss marker that `runc-trace-bpf disarm` writes when a container's
 * ring still held records nobody read (bpf/loader.c spill_ring), an untrusted edge. A spill is
 * followed by the records, as in the ring without its framing; a loss marker has none.
 */
export const SpillHeader = z.object({
  spill: z.literal(1),
  kind: z.enum(['records', 'loss']),
  error: z.string().nullable(),
  seq: z.number().int().nonnegative(),
  lost: z.number().int().nonnegative(),
  consumer_pos: z.number().int().nonnegative(),
  producer_pos: z.number().int().nonnegative(),
  truncated: z.boolean(),
  consumer_attached: z.boolean(),
  disarmed_boot_ns: z.number().int().nonnegative(),
  state: ContainerState,
});
export type SpillHeader = z.infer<typeof SpillHeader>;
