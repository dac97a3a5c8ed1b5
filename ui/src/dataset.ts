/**
 * One trace in the browser: its rows in arrival order and the aggregates the panels show, all
 * updated incrementally as batches arrive. Mutable and outside React state on purpose: hundreds of
 * thousands of rows must not be copied per update; components read it after `version` changes.
 *
 * Pause keeps receiving: batches wait in `pending` and are applied, in order, on resume.
 */
import { compileFilter, EMPTY_FILTER, searchText, type Filter, type Predicate } from './filter.js';
import type { ExitRecord, HeaderRecord, TraceRecord } from './types.js';

/** A hole in what this browser received (not in the file): a resync or records not in memory. */
export interface DropRow {
  type: 'drop';
  dropped: number;
  reason: 'slow-client' | 'backlog-overrun' | 'not-in-memory';
}

export type Row = TraceRecord | DropRow;

export interface Marker {
  row: number;
  time: number;
  kind: 'gap' | 'drop';
  count: number;
  label: string;
}

export interface ProcNode {
  pid: number;
  vpid: number | null;
  ppid: number | null;
  comm: string;
  execs: string[];
  argv: string[] | null;
  children: number[];
  exit: { code: number | null; signal: string | null; core: boolean } | null;
  firstTime: number;
  syscalls: number;
}

export interface Tally {
  count: number;
  failed: number;
  by: Map<string, number>;
}

let tsSecond = '';
let tsSecondMs = NaN;

/**
 * ts "2026-12-03T16:49:00.123456789Z" → ms since the epoch (µs kept as the fraction). Date.parse
 * runs once per distinct second (records arrive in order, so nearly always a cache hit).
 */
export function tsMs(ts: string): number {
  const second = ts.slice(0, 19);
  if (second !== tsSecond) {
    tsSecond = second;
    tsSecondMs = Date.parse(second + 'Z');
  }
  return tsSecondMs + Number(ts.slice(20, 29)) / 1e6;
}

function tally(m: Map<string, Tally>, key: string, sub: string, failed: boolean): void {
  let t = m.get(key);
  if (t === undefined) m.set(key, (t = { count: 0, failed: 0, by: new Map() }));
  t.count++;
  if (failed) t.failed++;
  t.by.set(sub, (t.by.get(sub) ?? 0) + 1);
}

const PATH_KEYS = ['pathname', 'filename', 'oldpath', 'newpath', 'target', 'source'] as const;

export class Dataset {
  readonly rows: Row[] = [];
  readonly times: number[] = [];
  private readonly texts: (string | undefined)[] = [];
  header: HeaderRecord | null = null;
  exit: ExitRecord | null = null;
  readonly markers: Marker[] = [];
  readonly bySyscall = new Map<string, { count: number; failed: number }>();
  readonly byErrno = new Map<string, Tally>();
  readonly files = new Map<string, Tally>();
  readonly endpoints = new Map<string, Tally>();
  readonly procs = new Map<number, ProcNode>();
  records = 0;
  lost = 0;
  dropped = 0;
  failed = 0;
  firstTime = NaN;
  lastTime = NaN;
  version = 0;
  paused = false;
  private pending: Row[][] = [];
  pendingCount = 0;

  append(rows: readonly Row[]): void {
    if (rows.length === 0) return;
    if (this.paused) {
      this.pending.push(rows.slice());
      this.pendingCount += rows.length;
      this.version++;
      return;
    }
    for (const r of rows) this.apply(r);
    this.version++;
  }

  pause(): void {
    this.paused = true;
    this.version++;
  }

  resume(): void {
    this.paused = false;
    const p = this.pending;
    this.pending = [];
    this.pendingCount = 0;
    for (const batch of p) for (const r of batch) this.apply(r);
    this.version++;
  }

  /** Lower-cased searchable text of row i (computed once, on first use). */
  text(i: number): string {
    let t = this.texts[i];
    if (t === undefined) this.texts[i] = t = searchText(this.rows[i]!);
    return t;
  }

  private apply(r: Row): void {
    const row = this.rows.length;
    let time = this.rows.length > 0 ? this.times[row - 1]! : NaN;
    if (r.type === 'syscall' || r.type === 'process') {
      time = tsMs(r.ts);
      if (Number.isNaN(this.firstTime)) this.firstTime = time;
      if (!(time <= this.lastTime)) this.lastTime = time;
      this.records++;
    } else if (r.type === 'header') {
      this.header = r;
      time = tsMs(r.started);
    }
    this.rows.push(r);
    this.times.push(time);
    switch (r.type) {
      case 'syscall': {
        const failed = r.errno !== null;
        let s = this.bySyscall.get(r.syscall);
        if (s === undefined) this.bySyscall.set(r.syscall, (s = { count: 0, failed: 0 }));
        s.count++;
        if (failed) {
          s.failed++;
          this.failed++;
          tally(this.byErrno, r.errno!, r.syscall, true);
        }
        const a = r.args;
        for (const k of PATH_KEYS) {
          const p = a[k];
          if (typeof p === 'string' && p !== '') tally(this.files, p, r.syscall, failed);
        }
        if (typeof a.addr === 'string' && a.addr !== '') tally(this.endpoints, a.addr, r.syscall, failed);
        const n = this.proc(r.pid, r.vpid, r.ppid, r.comm, time);
        n.syscalls++;
        if ((r.syscall === 'execve' || r.syscall === 'execveat') && !failed && a.argv !== undefined) n.argv = a.argv;
        break;
      }
      case 'process': {
        const n = this.proc(r.pid, r.vpid, r.ppid, r.comm, time);
        if (r.event === 'fork') {
          if (!r.thread) {
            const c = this.proc(r.child_pid, r.child_vpid, r.pid, r.comm, time);
            c.ppid = r.pid;
            if (!n.children.includes(r.child_pid)) n.children.push(r.child_pid);
          }
        } else if (r.event === 'exec') {
          n.execs.push(r.filename);
          n.comm = r.comm;
        } else if (!r.thread) {
          n.exit = { code: r.exit_code, signal: r.signal, core: r.core_dumped };
        }
        break;
      }
      case 'gap': {
        const lost = Number(r.lost);
        this.lost += lost;
        this.markers.push({ row, time, kind: 'gap', count: lost, label: `${lost} lost (${r.reason}) seq ${r.seq_from}–${r.seq_to}` });
        break;
      }
      case 'drop':
        this.dropped += r.dropped;
        this.markers.push({ row, time, kind: 'drop', count: r.dropped, label: `${r.dropped} not received (${r.reason})` });
        break;
      case 'exit':
        this.exit = r;
        break;
    }
  }

  private proc(pid: number, vpid: number, ppid: number, comm: string, time: number): ProcNode {
    let n = this.procs.get(pid);
    if (n === undefined) {
      n = { pid, vpid, ppid, comm, execs: [], argv: null, children: [], exit: null, firstTime: time, syscalls: 0 };
      this.procs.set(pid, n);
      const parent = this.procs.get(ppid);
      if (parent !== undefined && !parent.children.includes(pid)) parent.children.push(pid);
    }
    return n;
  }

  /** Trace records (no drop rows) in order, for export. */
  *traceRecords(indices?: readonly number[]): Generator<TraceRecord> {
    if (indices === undefined) {
      for (const r of this.rows) if (r.type !== 'drop') yield r;
      return;
    }
    if (this.header !== null && !indices.some((i) => this.rows[i]!.type === 'header')) yield this.header;
    for (const i of indices) {
      const r = this.rows[i]!;
      if (r.type !== 'drop') yield r;
    }
  }
}

/** The rows of a dataset that pass a filter, kept up to date incrementally. */
export class View {
  indices: number[] = [];
  private applied = 0;
  private pred: Predicate;
  constructor(private ds: Dataset, readonly filter: Filter = EMPTY_FILTER) {
    this.pred = compileFilter(filter);
  }
  /** Brings the view up to the dataset's rows; returns whether it grew. */
  update(): boolean {
    const rows = this.ds.rows;
    const n = rows.length;
    if (this.applied === n) return false;
    const ds = this.ds;
    for (let i = this.applied; i < n; i++) {
      if (this.pred(rows[i]!, ds.times[i]!, () => ds.text(i))) this.indices.push(i);
    }
    this.applied = n;
    return true;
  }
}
