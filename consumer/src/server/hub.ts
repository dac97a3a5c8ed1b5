/**
 * The live side of the dashboard: every record the JSONL writers write also lands here, in a
 * bounded per-stream backlog that clients read from at their own pace (a cursor each), so a slow
 * client costs a counter, never memory.
 *
 * The hot path (record()) is an array store and a few counter updates: no serialization, no
 * allocation per record beyond the backlog slot, no logging.
 */
import * as path from 'node:path';
import type { ContainerSummary } from '../protocol.js';
import type { TraceRecord } from '../schema.js';

/** The writer-side interface: what a JSONL writer tells its subscribers. */
export interface RecordSubscriber {
  /** a record was written to `file` (called for the header too, when the file is new) */
  record(file: string, rec: TraceRecord, base?: { records: number; lost: number }): void;
  /** the writer of `file` closed */
  closed(file: string): void;
}

/** Fixed-capacity ring of the newest records of a stream, addressed by absolute position. */
export class Backlog {
  private readonly buf: (TraceRecord | undefined)[];
  /** number of records ever pushed = position of the next one */
  head = 0;
  constructor(readonly capacity: number) {
    this.buf = new Array(capacity);
  }
  push(r: TraceRecord): void {
    this.buf[this.head % this.capacity] = r;
    this.head++;
  }
  /** position of the oldest record still held */
  get oldest(): number {
    return Math.max(0, this.head - this.capacity);
  }
  /** records [from, to) — from must be ≥ oldest */
  slice(from: number, to: number): TraceRecord[] {
    const out: TraceRecord[] = new Array(to - from);
    for (let i = from; i < to; i++) out[i - from] = this.buf[i % this.capacity]!;
    return out;
  }
  clear(): void {
    this.buf.fill(undefined);
  }
}

export class Stream {
  readonly backlog: Backlog;
  container: string;
  state: ContainerSummary['state'] = 'running';
  status: number | null = null;
  signal: string | null = null;
  records = 0;
  lost = 0;
  started: string | null = null;
  constructor(readonly id: number, readonly path: string, container: string, capacity: number) {
    this.container = container;
    this.backlog = new Backlog(capacity);
  }
  get file(): string {
    return path.basename(this.path);
  }
  summary(): ContainerSummary {
    return {
      file: this.file, container: this.container, stream: this.id,
      state: this.state, status: this.status, signal: this.signal, records: this.records, lost: this.lost,
      started: this.started, bytes: null,
    };
  }
}

export interface HubOptions {
  /** records held per stream for clients that join late or lag */
  backlog: number;
  /** finished streams kept in memory (newest first); older ones are served from their files */
  keepFinished: number;
}

export class RecordHub implements RecordSubscriber {
  private readonly byPath = new Map<string, Stream>();
  private readonly byId = new Map<number, Stream>();
  private nextId = 1;
  /** bumped on every change a container list shows */
  version = 0;
  private readonly listeners = new Set<(s: Stream) => void>();

  constructor(private readonly opts: HubOptions = { backlog: 100_000, keepFinished: 8 }) {}

  record(file: string, rec: TraceRecord, base?: { records: number; lost: number }): void {
    let s = this.byPath.get(file);
    if (s === undefined) s = this.open(file, rec.container, base);
    s.backlog.push(rec);
    switch (rec.type) {
      case 'syscall':
      case 'process':
        s.records++;
        break;
      case 'gap':
        s.lost += Number(rec.lost);
        break;
      case 'header':
        s.started = rec.started;
        break;
      case 'exit':
        s.state = 'exited';
        s.status = rec.status;
        s.signal = rec.signal;
        s.records = Number(rec.records);
        s.lost = Number(rec.lost);
        break;
    }
    this.version++;
  }

  closed(file: string): void {
    const s = this.byPath.get(file);
    if (s === undefined) return;
    this.byPath.delete(file);
    if (s.state === 'running') s.state = 'incomplete';
    this.version++;
    for (const l of this.listeners) l(s);
    // Keep the newest finished streams so their subscribers get every record; drop older backlogs.
    const finished = [...this.byId.values()].filter((x) => x.state !== 'running').sort((a, b) => b.id - a.id);
    for (const old of finished.slice(this.opts.keepFinished)) {
      old.backlog.clear();
      this.byId.delete(old.id);
    }
  }

  private open(file: string, container: string, base?: { records: number; lost: number }): Stream {
    // A file renamed aside (rotation) and reopened under the same path is a new stream.
    const s = new Stream(this.nextId++, file, container, this.opts.backlog);
    if (base !== undefined) {
      s.records = base.records;
      s.lost = base.lost;
    }
    this.byPath.set(file, s);
    this.byId.set(s.id, s);
    return s;
  }

  stream(id: number): Stream | undefined {
    return this.byId.get(id);
  }

  /** streams by file name (the newest stream of each file) */
  streams(): Stream[] {
    return [...this.byId.values()];
  }

  onClosed(l: (s: Stream) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}
