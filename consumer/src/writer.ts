/**
 * One JSONL file per traced container: DIR/<id>.jsonl, mode 0600, records buffered as preformatted
 * lines and written in batches. A new container that reuses an id gets a fresh file; the previous
 * file is kept as DIR/<id>.<n>.jsonl (lowest free n ≥ 1). A consumer that restarts while the same
 * container (same slot, gen, cgroup id) is still traced continues the file it left unfinished.
 *
 * Every line is hash-chained (chain.ts): the chain is extended when a record is formatted, so the
 * hot path costs one string concatenation and one one-shot SHA-256 per line. The exit record is
 * sealed with the head of the chain, the runtime, digests of the runtime and BPF helper binaries
 * and loss totals by reason.
 *
 * A write that fails (ENOSPC, EDQUOT, EIO…) never kills the consumer: the file is cut back to the
 * last complete batch, the chain rewound to it, and records are dropped and counted until a
 * retry succeeds; the retry writes a `write-error` gap covering every dropped seq number.
 */
import { hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHAIN_GENESIS, chainOf, sealInto, sealLine, unsealLine } from './chain.js';
import type { EncodedSyscall } from './decode.js';
import type { ExitRecord, GapReason, HeaderRecord, TraceRecord } from './schema.js';

/** Binaries whose digests seal every exit record; set once by main (configureSeal). */
interface SealConfig {
  runtimeBinary: string | null;
  bpfBinary: string | null;
  log: (msg: string) => void;
}
let seal: SealConfig = { runtimeBinary: null, bpfBinary: null, log: () => {} };

export function configureSeal(c: Partial<SealConfig>): void {
  seal = { ...seal, ...c };
}

const digestCache = new Map<string, { key: string; digest: string }>();

/** sha256 of a file, cached by (dev, ino, size, mtime); null when it cannot be read. */
export function fileDigest(file: string | null): string | null {
  if (file === null) return null;
  try {
    const st = fs.statSync(file);
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    const hit = digestCache.get(file);
    if (hit !== undefined && hit.key === key) return hit.digest;
    const digest = hash('sha256', fs.readFileSync(file), 'hex');
    digestCache.set(file, { key, digest });
    return digest;
  } catch {
    return null;
  }
}

const RETRY_MS = 250;

export interface Continuation {
  /** last seq written (a record's seq or a gap's seq_to); -1 when only the header was written */
  lastSeq: number;
  records: number;
  lost: number;
  /** chain of the last complete line */
  head: string;
  /** lost by gap reason in the part already written */
  lostByReason: Record<string, number>;
  /** sum of the throttle records' suppressed counts */
  throttled: number;
}

/** Creates DIR with mode 0700 (and tightens an existing one). */
export function prepareOutDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

export function jsonlPath(dir: string, id: string): string {
  return path.join(dir, `${id}.jsonl`);
}

/** Moves DIR/<id>.jsonl aside to DIR/<id>.<n>.jsonl; returns the new path. */
export function rotate(dir: string, id: string): string {
  const from = jsonlPath(dir, id);
  for (let n = 1; ; n++) {
    const to = path.join(dir, `${id}.${n}.jsonl`);
    if (!fs.existsSync(to)) {
      fs.renameSync(from, to);
      return to;
    }
  }
}

/** ns since the epoch of a Timestamp */
function timestampNs(t: string): bigint {
  return BigInt(Date.parse(t.slice(0, 19) + 'Z')) * 1_000_000n + BigInt(t.slice(20, 29));
}

/**
 * Same container tenant. `started` is the arm time converted to UTC with each consumer run's own
 * boot→realtime offset, which differs between runs by the jitter of sampling two clocks (and by
 * NTP slewing): compared within a second, not to the nanosecond, or a restarted consumer would
 * start a new file instead of continuing its own.
 */
export function sameTenant(a: HeaderRecord, b: HeaderRecord): boolean {
  if (a.container !== b.container || a.slot !== b.slot || a.gen !== b.gen ||
    String(a.cgroup_id) !== String(b.cgroup_id) || a.init_pid !== b.init_pid) return false;
  try {
    const d = timestampNs(a.started) - timestampNs(b.started);
    return d > -1_000_000_000n && d < 1_000_000_000n;
  } catch {
    return false;
  }
}

/**
 * Whether DIR already holds a sealed file (exit record last) of `header`'s tenant: DIR/<id>.jsonl
 * or a rotated DIR/<id>.<n>.jsonl. Reads each candidate's first line and last 64 KiB only.
 */
export function sealedFileOf(dir: string, header: HeaderRecord): string | null {
  const id = header.container;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return null;
  }
  for (const name of names) {
    if (!name.startsWith(id + '.') || !/^(\d+\.)?jsonl$/.test(name.slice(id.length + 1))) continue;
    const file = path.join(dir, name);
    let fd = -1;
    try {
      fd = fs.openSync(file, 'r');
      const size = fs.fstatSync(fd).size;
      const head = Buffer.alloc(Math.min(size, 4 << 20));
      fs.readSync(fd, head, 0, head.length, 0);
      const nl = head.indexOf(10);
      if (nl < 0) continue;
      const first = JSON.parse(head.toString('utf8', 0, nl)) as HeaderRecord;
      if (first.type !== 'header' || !sameTenant(first, header)) continue;
      const tail = Buffer.alloc(Math.min(size, 64 << 10));
      fs.readSync(fd, tail, 0, tail.length, size - tail.length);
      const lines = tail.toString('utf8').trimEnd().split('\n');
      if ((JSON.parse(lines[lines.length - 1] ?? '') as { type?: string }).type === 'exit') return file;
    } catch {
      // unreadable or torn: not a sealed file of this tenant
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
  }
  return null;
}

/**
 * Reads an existing file: if it was written for the same tenant as `header` and has no exit
 * record, returns where it stopped; otherwise null.
 */
export function inspectForContinuation(file: string, header: HeaderRecord): Continuation | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  let first: unknown;
  try {
    first = JSON.parse(lines[0] ?? '');
  } catch {
    return null;
  }
  if (typeof first !== 'object' || first === null || (first as { type?: unknown }).type !== 'header') return null;
  if (!sameTenant(first as HeaderRecord, header)) return null;
  const cont: Continuation = { lastSeq: -1, records: 0, lost: 0, head: CHAIN_GENESIS, lostByReason: {}, throttled: 0 };
  // The last piece is '' (file ends with a newline) or a torn line of a killed consumer.
  for (let i = 0; i < lines.length - 1; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const sealed = unsealLine(line);
    if (sealed === null) return null; // not a chained file: start a new one
    cont.head = sealed.chain;
    if (i === 0) continue;
    let r: { type?: string; seq?: unknown; seq_to?: unknown; lost?: unknown; reason?: unknown };
    try {
      r = JSON.parse(line);
    } catch {
      return null;
    }
    if (r.type === 'exit') return null;
    if (r.type === 'gap') {
      cont.lost += Number(r.lost);
      const reason = String(r.reason);
      cont.lostByReason[reason] = (cont.lostByReason[reason] ?? 0) + Number(r.lost);
      cont.lastSeq = Math.max(cont.lastSeq, Number(r.seq_to));
    } else if (r.type === 'syscall' || r.type === 'process' || r.type === 'throttle') {
      if (r.type === 'throttle') cont.throttled += Number((r as { suppressed?: unknown }).suppressed);
      cont.records++;
      cont.lastSeq = Math.max(cont.lastSeq, Number(r.seq));
    }
  }
  // Drop a torn last line so appended records start on a line of their own.
  if (!text.endsWith('\n')) fs.truncateSync(file, text.lastIndexOf('\n') + 1);
  return cont;
}

/** Numbers of the records dropped while writes fail. */
interface Dropped {
  records: number;
  lostInGaps: number; // gap records dropped (their numbers are covered by the write-error gap)
  seqFrom: number;
  seqTo: number;
}

/** Counts one syscall/process/throttle record of number `seq` into `d` (JsonlWriter.account). */
function accountRecord(d: Dropped, seq: number): void {
  d.records++;
  if (seq < d.seqFrom) d.seqFrom = seq;
  if (seq > d.seqTo) d.seqTo = seq;
}

function noneDropped(): Dropped {
  return { records: 0, lostInGaps: 0, seqFrom: Infinity, seqTo: -Infinity };
}

/** Sees every record any JsonlWriter is given, and each writer's close: the dashboard's live feed. */
export interface WriterObserver {
  written(w: JsonlWriter, rec: TraceRecord): void;
  closed(w: JsonlWriter): void;
}

let observer: WriterObserver | null = null;

/** Installs (or with null removes) the one observer of all writers. */
export function observeWriters(o: WriterObserver | null): void {
  observer = o;
}

/** Whether an observer wants record objects (if not, producers may hand over formatted text). */
export function writersObserved(): boolean {
  return observer !== null;
}

/**
 * First size of a writer's batch buffer; it doubles as needed (a busy container's reaches about
 * flushBytes + this) and is cut back after a flush when an outsized line made it larger than twice that.
 */
const BATCH_SLACK = 64 << 10;

export class JsonlWriter {
  /** the pending batch: complete lines, UTF-8, in a buffer reused from batch to batch */
  private batchBuf: Buffer;
  private bytes = 0;
  private fd: number;
  /** chain of the last line formatted (pending or written) */
  private head: string;
  /** chain and size of the file after the last successful write */
  private durableHead: string;
  private durableSize: number;
  /** what the pending batch holds, so a failed write can be accounted */
  private batch = noneDropped();
  /** non-null while writes fail */
  private dropped: Dropped | null = null;
  private nextRetry = 0;
  /** adjustments of this run to the exit record's totals (records dropped, numbers lost to write errors) */
  private droppedRecords = 0;
  private extraLost = 0;
  private readonly lostByReason: Record<string, number>;
  private throttled: number;
  private readonly runtime: string | null;
  private readonly runtimeSha256: string | null;
  private readonly bpfSha256: string | null;
  private flushBytes = 1 << 20;

  private constructor(readonly file: string, fd: number, readonly continued: Continuation | null, private readonly header: HeaderRecord) {
    this.fd = fd;
    this.head = continued?.head ?? CHAIN_GENESIS;
    this.durableHead = this.head;
    this.durableSize = fs.fstatSync(fd).size;
    this.lostByReason = { ...(continued?.lostByReason ?? {}) };
    this.throttled = continued?.throttled ?? 0;
    this.runtime = header.runtime;
    this.runtimeSha256 = fileDigest(seal.runtimeBinary);
    this.bpfSha256 = fileDigest(seal.bpfBinary);
    this.batchBuf = Buffer.allocUnsafe(BATCH_SLACK); // grows to what the container's rate needs
  }

  /**
   * Opens DIR/<id>.jsonl for `header`'s container: continues an unfinished file of the same
   * tenant, otherwise rotates any existing file away and starts a new one with the header.
   * Throws when the header cannot be written.
   */
  static open(dir: string, header: HeaderRecord, flushBytes = 1 << 20): JsonlWriter {
    const file = jsonlPath(dir, header.container);
    let cont: Continuation | null = null;
    if (fs.existsSync(file)) {
      cont = inspectForContinuation(file, header);
      if (cont === null) rotate(dir, header.container);
    }
    const fd = fs.openSync(file, cont === null ? 'wx' : 'a', 0o600);
    fs.fchmodSync(fd, 0o600);
    const w = new JsonlWriter(file, fd, cont, header);
    w.flushBytes = flushBytes;
    if (cont === null) {
      w.write(header);
      w.flush();
      if (w.dropped !== null) {
        w.close();
        throw new Error(`failed to write ${file}: no space for the header`);
      }
    }
    return w;
  }

  /**
   * Chains `body` onto the head and appends the sealed line to the batch buffer (chain.ts
   * sealInto); returns the new head. An outsized line grows the buffer.
   */
  private append(body: string): string {
    const max = this.head.length + 3 * body.length + 80; // UTF-8 bytes of a UTF-16 string ≤ 3 per unit; + the chain member
    if (this.bytes + max > this.batchBuf.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.batchBuf.length, this.bytes + max));
      this.batchBuf.copy(grown, 0, 0, this.bytes);
      this.batchBuf = grown;
    }
    const { chain, end } = sealInto(this.batchBuf, this.bytes, this.head, body);
    this.bytes = end;
    this.head = chain;
    return chain;
  }

  /** chain of the last line written or pending */
  get chainHead(): string {
    return this.head;
  }

  /** Formats, chains and buffers one record (hot path: no logging, one hash). */
  write(rec: TraceRecord): void {
    this.format(rec);
    observer?.written(this, rec);
  }

  /**
   * Chains and buffers a syscall record already formatted as JSON text (the same text
   * `write` would produce from its object). With an observer installed the record is parsed back
   * into its object, so the dashboard sees what it always saw.
   */
  writeEncoded(e: EncodedSyscall): void {
    if (observer !== null) {
      this.write(JSON.parse(e.body) as TraceRecord);
      return;
    }
    if (this.dropped !== null) {
      accountRecord(this.dropped, e.seq);
      return;
    }
    this.append(e.body);
    accountRecord(this.batch, e.seq);
    if (this.bytes >= this.flushBytes) this.flush();
  }

  private format(rec: TraceRecord): void {
    if (this.dropped !== null) {
      if (rec.type === 'exit') this.flush(true); // last chance to get the exit record out
      if (this.dropped !== null) {
        this.account(this.dropped, rec);
        return;
      }
    }
    if (rec.type === 'exit') rec = this.sealExit(rec);
    else if (rec.type === 'gap') this.lostByReason[rec.reason] = (this.lostByReason[rec.reason] ?? 0) + Number(rec.lost);
    else if (rec.type === 'throttle') this.throttled += Number(rec.suppressed);
    this.append(JSON.stringify(rec));
    this.account(this.batch, rec);
    if (this.bytes >= this.flushBytes) this.flush();
  }

  private account(d: Dropped, rec: TraceRecord): void {
    if (rec.type === 'syscall' || rec.type === 'process' || rec.type === 'throttle') {
      accountRecord(d, Number(rec.seq));
      return;
    }
    if (rec.type !== 'gap') return;
    d.lostInGaps += Number(rec.lost);
    if (Number(rec.seq_from) < d.seqFrom) d.seqFrom = Number(rec.seq_from);
    if (Number(rec.seq_to) > d.seqTo) d.seqTo = Number(rec.seq_to);
  }

  private sealExit(rec: ExitRecord): ExitRecord {
    return {
      ...rec,
      records: Number(rec.records) - this.droppedRecords,
      lost: Number(rec.lost) + this.extraLost,
      lost_by_reason: { ...this.lostByReason },
      ...(this.throttled > 0 ? { throttled: this.throttled } : {}),
      head: this.head,
      runtime: this.runtime,
      runtime_sha256: this.runtimeSha256,
      bpf_sha256: this.bpfSha256,
    };
  }

  /** Writes the pending batch; while writes fail, retries (at most every 250 ms unless `force`). */
  flush(force = false): void {
    if (this.fd < 0) return;
    if (this.dropped !== null) {
      const now = Date.now();
      if (!force && now < this.nextRetry) return;
      this.nextRetry = now + RETRY_MS;
      this.retry();
      return;
    }
    if (this.bytes === 0) return;
    const batch = this.batch;
    const err = this.writeAt(this.batchBuf.subarray(0, this.bytes));
    this.bytes = 0;
    this.batch = noneDropped();
    // An outsized line grew the buffer: give the memory back.
    if (this.batchBuf.length > 2 * (this.flushBytes + BATCH_SLACK)) this.batchBuf = Buffer.allocUnsafe(this.flushBytes + BATCH_SLACK);
    if (err === null) {
      this.durableHead = this.head;
      return;
    }
    // Nothing of this batch stays: cut the file back to the last complete batch, rewind the chain.
    this.head = this.durableHead;
    this.dropped = batch;
    this.nextRetry = Date.now() + RETRY_MS;
    seal.log(`${this.file}: failed to write records: ${err}; dropping and counting records until writing succeeds again`);
  }

  private retry(): void {
    const d = this.dropped!;
    let gap: TraceRecord | null = null;
    if (d.seqTo >= d.seqFrom) {
      gap = {
        type: 'gap',
        container: this.header.container,
        seq_from: d.seqFrom,
        seq_to: d.seqTo,
        lost: d.seqTo - d.seqFrom + 1,
        reason: 'write-error' as GapReason,
      };
    }
    let head = this.head;
    let text = '';
    if (gap !== null) {
      const body = JSON.stringify(gap);
      head = chainOf(head, body);
      text = sealLine(body, head) + '\n';
    }
    if (text !== '') {
      const err = this.writeAt(Buffer.from(text, 'utf8'));
      if (err !== null) return; // still failing; keep counting
    }
    this.head = this.durableHead = head;
    this.dropped = null;
    if (gap !== null) {
      this.lostByReason['write-error'] = (this.lostByReason['write-error'] ?? 0) + Number(gap.lost);
      this.extraLost += Number(gap.lost) - d.lostInGaps;
      this.droppedRecords += d.records;
    }
    seal.log(`${this.file}: writing again; ${d.records} record(s) dropped` +
      (gap !== null ? `, recorded as a write-error gap of seq ${d.seqFrom}..${d.seqTo}` : ''));
  }

  /** Writes all of `data` at the end of the durable part; on failure cuts the file back and returns the error. */
  private writeAt(data: Buffer): string | null {
    let off = 0;
    try {
      while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off, this.durableSize + off);
      this.durableSize += data.length;
      return null;
    } catch (e) {
      try {
        fs.ftruncateSync(this.fd, this.durableSize);
      } catch {
        // the next successful write starts at durableSize anyway (positional); a torn tail is cut by the verifier's report
      }
      return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    }
  }

  /** true while writes fail (records are being dropped and counted) */
  get writeFailed(): boolean {
    return this.dropped !== null;
  }

  /** Flushes and closes; `sync` also fsyncs first (a spill file is removed only once its records are durable). */
  close(sync = false): void {
    if (this.fd < 0) return;
    this.flush(true);
    if (this.dropped !== null) seal.log(`${this.file}: closed while writes fail: the file ends without its last records`);
    if (sync) fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    observer?.closed(this);
  }
}
