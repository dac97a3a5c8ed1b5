/**
 * Puts a container's records back in seq order and turns missing numbers into gap records.
 *
 * The kernel numbers records per container when it builds them (lost ones included), but records
 * from different CPUs are committed to the ring buffer in a slightly different order. A record
 * that arrives ahead of a missing number waits in `pending`; the hole becomes a gap when it has
 * stayed open for `windowMs`, when `maxPending` records wait behind it, or on the final drain.
 * A gap is attributed to the slot's `lost` counter (reason ringbuf-full) when the counter grew by
 * at least its size since the last gap; otherwise it is `unaccounted`. Two gaps have a known cause
 * of their own: the one right where a continued file resumes (`startReason`, the records an earlier
 * consumer run drained but never wrote) and, for a spilled ring, the tail nobody kept (`tailReason`).
 */
import type { DecodedRecord, EncodedSyscall } from './decode.js';
import type { GapReason, GapRecord } from './schema.js';

export interface SlotCounters {
  /** next sequence number the kernel will hand out */
  seq: number;
  /** records that could not be reserved */
  lost: number;
}

export interface SequencerOptions {
  windowMs: number;
  maxPending: number;
  /** first expected seq (0 for a fresh container, last written + 1 when a file is continued) */
  startSeq: number;
  /**
   * reason of a gap right at startSeq (a continued file: what the earlier run drained and did not
   * write). It takes precedence over the lost counter: that counter is the container's total since
   * arm, so it cannot say which of those numbers the kernel dropped.
   */
  startReason?: GapReason;
  /** lost numbers already attributed to `ringbuf-full` in the part of the file written before */
  lostAttributed?: number;
  /** reason of the final gap up to the kernel's seq that the lost counter does not explain */
  tailReason?: GapReason;
}

/** What the sequencer orders: a decoded record, or a syscall record already formatted as JSONL text. */
export type OrderedRecord = DecodedRecord | EncodedSyscall;
export type SequencedRecord = OrderedRecord | GapRecord;

export class Sequencer {
  private next: number;
  private readonly pending = new Map<number, OrderedRecord>();
  /**
   * Min-heap of the numbers put in `pending`, so the lowest waiting number is found without a
   * scan of `pending` (at tens of thousands of waiting records a scan per closed hole dominated).
   * Entries drained from `pending` are dropped from the top lazily.
   */
  private readonly heap: number[] = [];
  private waitingSince = 0;
  private lostCounter = 0;
  private lostAttributed = 0;
  private startReason: GapReason | undefined;
  /** syscall and process records emitted */
  records = 0;
  /** numbers declared lost in gap records */
  lost = 0;
  /** records that arrived after their number had already been declared a gap */
  late = 0;

  constructor(
    private readonly container: string,
    private readonly emit: (r: SequencedRecord) => void,
    private readonly opts: SequencerOptions,
  ) {
    this.next = opts.startSeq;
    this.startReason = opts.startReason;
    this.lostAttributed = opts.lostAttributed ?? 0;
  }

  get nextSeq(): number {
    return this.next;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  push(seq: number, rec: OrderedRecord, now: number): void {
    if (seq === this.next) {
      this.emitRecord(rec);
      this.next++;
      if (this.pending.size > 0) this.drainContiguous(now);
      return;
    }
    if (seq < this.next) {
      // Already declared lost (or a duplicate): keep the data, out of order, rather than drop it.
      this.late++;
      this.emitRecord(rec);
      return;
    }
    if (this.pending.size === 0) this.waitingSince = now;
    if (!this.pending.has(seq)) heapPush(this.heap, seq);
    this.pending.set(seq, rec);
    if (this.pending.size > this.opts.maxPending) this.closeHoles(now, false);
  }

  /** Called after each drain: closes holes older than the window; `final` closes all of them. */
  flush(now: number, counters: SlotCounters | null, final = false): void {
    if (counters !== null) this.lostCounter = Math.max(this.lostCounter, counters.lost);
    if (this.pending.size > 0 && (final || now - this.waitingSince >= this.opts.windowMs)) {
      this.closeHoles(now, final);
    }
    if (final && counters !== null && counters.seq > this.next && this.pending.size === 0) {
      this.gap(this.next, counters.seq - 1, this.opts.tailReason);
      this.next = counters.seq;
    }
  }

  private closeHoles(now: number, all: boolean): void {
    do {
      const min = this.lowestPending();
      if (min === Infinity) return;
      if (min > this.next) {
        this.gap(this.next, min - 1);
        this.next = min;
      }
      this.drainContiguous(now);
    } while (all || this.pending.size > this.opts.maxPending);
  }

  /** The lowest number in `pending` (Infinity when empty); drops stale heap entries on the way. */
  private lowestPending(): number {
    const h = this.heap;
    while (h.length > 0 && !this.pending.has(h[0]!)) heapPop(h);
    return h.length > 0 ? h[0]! : Infinity;
  }

  private drainContiguous(now: number): void {
    let rec = this.pending.get(this.next);
    while (rec !== undefined) {
      this.pending.delete(this.next);
      this.emitRecord(rec);
      this.next++;
      rec = this.pending.get(this.next);
    }
    if (this.pending.size > 0) this.waitingSince = now;
    // What was drained is below `next` and on top of the heap: keep the heap as small as `pending`.
    const h = this.heap;
    if (this.pending.size === 0) h.length = 0;
    else while (h.length > 0 && h[0]! < this.next) heapPop(h);
  }

  private emitRecord(rec: OrderedRecord): void {
    this.records++;
    this.emit(rec);
  }

  private gap(from: number, to: number, tailReason?: GapReason): void {
    const n = to - from + 1;
    const available = this.lostCounter - this.lostAttributed;
    let reason: GapReason;
    if (this.startReason !== undefined && from === this.opts.startSeq) {
      reason = this.startReason;
    } else if (available >= n) {
      reason = 'ringbuf-full';
      this.lostAttributed += n;
    } else {
      reason = tailReason ?? 'unaccounted';
    }
    this.startReason = undefined;
    this.lost += n;
    this.emit({ type: 'gap', container: this.container, seq_from: from, seq_to: to, lost: n, reason });
  }
}

function heapPush(h: number[], v: number): void {
  let i = h.length;
  h.push(v);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= v) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = v;
}

function heapPop(h: number[]): void {
  const last = h.pop()!;
  const n = h.length;
  if (n === 0) return;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const c = l + 1 < n && h[l + 1]! < h[l]! ? l + 1 : l;
    if (h[c]! >= last) break;
    h[i] = h[c]!;
    i = c;
  }
  h[i] = last;
}
