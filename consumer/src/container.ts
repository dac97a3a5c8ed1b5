/**
 * One traced container: its ring buffer, sequencer, process table and JSONL file.
 *
 * Lifecycle: open() writes the header (or continues an unfinished file); tick() drains the ring
 * buffer; the container is done when its state file disappears (disarm at `runc delete`) or when
 * its init has exited and no process of it is left; finish() then drains fully and writes the
 * exit record. stop() (consumer shutdown) flushes and closes without an exit record.
 */
import * as os from 'node:os';
import type { BootClock } from './clock.js';
import { decodeRecord, EncodedSyscall, encodeSyscall, MalformedRecord, recordSeq, type DecodeContext, type RecordView } from './decode.js';
import type { RecordSink } from './ringbuf.js';
import { SCHEMA_VERSION, TraceRecord, type ContainerState, type ExitRecord, type GapReason, type HeaderRecord } from './schema.js';
import { Sequencer, type SequencedRecord, type SlotCounters } from './sequencer.js';
import { CONSUMER_NAME } from './version.js';
import { JsonlWriter, writersObserved } from './writer.js';

export interface OpenedRing {
  /** the live ring (RingbufReader) or the records of a spill file (spill.ts) */
  reader: { drain(sink: RecordSink): number };
  close(): void;
}

/** How a container's records reached us when not from its live ring (spill.ts). */
export interface ContainerSource {
  source?: NonNullable<ExitRecord['source']>;
  /** reason of the final gap the kernel's lost counter does not explain */
  tailReason?: GapReason;
}

export interface ContainerDeps {
  outDir: string;
  clock: BootClock;
  openRing(path: string): OpenedRing;
  /** current counters of the container's slot, null when unknown or the slot changed tenant */
  slotCounters(state: ContainerState): SlotCounters | null;
  windowMs: number;
  maxPending: number;
  /** validate every record against the schema before writing (slow; for debugging) */
  validate: boolean;
  log(msg: string): void;
}

/** Makes V8 store a concatenated string as one flat copy (converting it to a number does). */
function flatten(s: string): void {
  void Number(s);
}

export function tenantKey(s: ContainerState): string {
  return `${s.id}\u0000${s.slot}\u0000${s.gen}\u0000${s.cgroup_id}`;
}

export function buildHeader(s: ContainerState, clock: BootClock): HeaderRecord {
  const meta = s.meta ?? {};
  return {
    type: 'header',
    v: SCHEMA_VERSION,
    container: s.id,
    bundle: meta.bundle ?? null,
    annotations: meta.annotations ?? {},
    runtime: meta.runtime ?? null,
    kernel: os.release(),
    host: os.hostname(),
    cgroup_id: s.cgroup_id,
    init_pid: s.init_pid,
    started: s.armed_boot_ns !== undefined ? clock.formatBootValue(s.armed_boot_ns) : new Date().toISOString().replace('Z', '000000Z'),
    slot: s.slot,
    gen: s.gen,
    consumer: CONSUMER_NAME,
  };
}

export class TracedContainer {
  readonly key: string;
  readonly file: string;
  private readonly ring: OpenedRing;
  private readonly writer: JsonlWriter;
  private readonly seq: Sequencer;
  private readonly ctx: DecodeContext;
  private counters: SlotCounters | null = null;
  private readonly live = new Set<number>();
  private readonly exited = new Set<number>();
  private initExit: { status: number | null; signal: string | null } | null = null;
  private malformed = 0;
  private baseRecords = 0;
  private baseLost = 0;
  private closed = false;
  private now = 0;
  private readonly sink = (view: RecordView, off: number, len: number): void => this.onRecord(view, off, len);
  /** first seq this run expects: numbers below it are in the file already (a continued file) */
  readonly resumeSeq: number;

  constructor(readonly state: ContainerState, private readonly deps: ContainerDeps, private readonly from: ContainerSource = {}) {
    this.key = tenantKey(state);
    this.ring = deps.openRing(state.ringbuf);
    try {
      this.writer = JsonlWriter.open(deps.outDir, buildHeader(state, deps.clock));
    } catch (e) {
      this.ring.close();
      throw e;
    }
    this.file = this.writer.file;
    const cont = this.writer.continued;
    if (cont !== null) {
      this.baseRecords = cont.records;
      this.baseLost = cont.lost;
    }
    this.seq = new Sequencer(state.id, (r) => this.onOrdered(r), {
      windowMs: deps.windowMs,
      maxPending: deps.maxPending,
      startSeq: cont === null ? 0 : cont.lastSeq + 1,
      ...(cont !== null ? { startReason: 'consumer-restart' as const, lostAttributed: cont.lostByReason['ringbuf-full'] ?? 0 } : {}),
      ...(from.tailReason !== undefined ? { tailReason: from.tailReason } : {}),
    });
    this.resumeSeq = this.seq.nextSeq;
    if (cont !== null) deps.log(`${state.id}: continuing ${this.file} after seq ${cont.lastSeq}`);
    this.ctx = { container: state.id, initPid: state.init_pid, clock: deps.clock };
    this.live.add(state.init_pid);
  }

  /** Init has exited and every process seen since has exited too. */
  get done(): boolean {
    return this.initExit !== null && this.live.size === 0;
  }

  /** Drains what the ring buffer holds; returns the number of records read. */
  tick(now: number): number {
    if (this.closed) return 0;
    this.now = now;
    const n = this.ring.reader.drain(this.sink);
    this.counters = this.deps.slotCounters(this.state) ?? this.counters;
    this.seq.flush(now, this.counters);
    this.writer.flush();
    return n;
  }

  /** Final drain, exit record, close (`sync`: fsync first). Returns false if records could not be written. */
  finish(now: number, sync = false): boolean {
    if (this.closed) return !this.writer.writeFailed;
    this.now = now;
    while (this.ring.reader.drain(this.sink) > 0);
    this.counters = this.deps.slotCounters(this.state) ?? this.counters;
    this.seq.flush(now, this.counters, true);
    this.write({
      type: 'exit',
      container: this.state.id,
      status: this.initExit?.status ?? null,
      signal: this.initExit?.signal ?? null,
      records: this.baseRecords + this.seq.records,
      lost: this.baseLost + this.seq.lost,
      ...(this.from.source !== undefined ? { source: this.from.source } : {}),
    });
    this.close(sync);
    return !this.writer.writeFailed;
  }

  /** Consumer shutdown: drain and flush what is there, no exit record (the container runs on). */
  stop(now: number): void {
    if (this.closed) return;
    this.now = now;
    while (this.ring.reader.drain(this.sink) > 0);
    this.counters = this.deps.slotCounters(this.state) ?? this.counters;
    this.seq.flush(now, null, true);
    this.close();
  }

  private close(sync = false): void {
    this.closed = true;
    this.writer.close(sync);
    this.ring.close();
  }

  private onRecord(view: RecordView, off: number, len: number): void {
    let rec;
    try {
      // Syscall records go straight to their JSONL text unless someone needs the object (the
      // dashboard's observer, --validate); encodeSyscall returns null for anything else.
      if (!this.deps.validate && !writersObserved()) {
        const enc = encodeSyscall(view, off, len, this.ctx);
        if (enc !== null) {
          if (enc.seq < this.resumeSeq) return;
          // A record that will wait in the sequencer is flattened first: the text is built as a
          // tree of pieces several times its size (the writer would flatten it anyway).
          if (enc.seq !== this.seq.nextSeq) flatten(enc.body);
          this.seq.push(enc.seq, enc, this.now);
          return;
        }
      }
      rec = decodeRecord(view, off, len, this.ctx);
    } catch (e) {
      if (!(e instanceof MalformedRecord)) throw e;
      if (this.malformed++ === 0) this.deps.log(`${this.state.id}: skipping malformed record: ${e.message}`);
      return;
    }
    if (rec === null) return; // a record kind newer than this decoder
    const seq = recordSeq(view, off);
    // A continued file already has every number below resumeSeq (as a record or in a gap): the killed
    // run wrote records whose consumer_pos it had not yet committed, so the ring hands them out again.
    if (seq < this.resumeSeq) return;
    this.seq.push(seq, rec, this.now);
  }

  private onOrdered(r: SequencedRecord): void {
    if (r instanceof EncodedSyscall) {
      if (!this.exited.has(r.pid)) this.live.add(r.pid);
      this.writer.writeEncoded(r);
      return;
    }
    if (r.type === 'process') {
      if (r.event === 'fork') {
        if (!r.thread && !this.exited.has(r.child_pid)) this.live.add(r.child_pid);
      } else if (r.event === 'exit' && !r.thread) {
        this.live.delete(r.pid);
        this.exited.add(r.pid);
        if (r.init || r.pid === this.state.init_pid) this.initExit = { status: r.exit_code, signal: r.signal };
      }
    } else if (r.type === 'syscall' && !this.exited.has(r.pid)) {
      this.live.add(r.pid); // e.g. a `runc exec` process, which joins without a fork record of ours
    }
    this.write(r);
  }

  private write(r: TraceRecord): void {
    if (this.deps.validate) {
      const res = TraceRecord.safeParse(r);
      if (!res.success) {
        this.deps.log(`${this.state.id}: record fails schema: ${res.error.message}`);
        return;
      }
    }
    this.writer.write(r);
  }
}
