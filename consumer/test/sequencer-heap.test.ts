// The sequencer's min-heap of waiting numbers must not change what it emits: it is checked
// against the previous implementation (a scan of the pending map per closed hole, kept here as
// the reference) over random arrival orders with duplicates, late records, holes, overflow of
// maxPending, window expiry and final flushes.
import { describe, expect, it } from 'vitest';
import type { GapReason, GapRecord } from '../src/schema.js';
import { Sequencer, type OrderedRecord, type SequencedRecord, type SequencerOptions, type SlotCounters } from '../src/sequencer.js';

class ReferenceSequencer {
  private next: number;
  private readonly pending = new Map<number, OrderedRecord>();
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
      let min = Infinity;
      for (const k of this.pending.keys()) if (k < min) min = k;
      if (min === Infinity) return;
      if (min > this.next) {
        this.gap(this.next, min - 1);
        this.next = min;
      }
      this.drainContiguous(now);
    } while (all || this.pending.size > this.opts.maxPending);
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


describe('sequencer with a heap = the reference sequencer', () => {
  it('random arrivals', () => {
    let seed = 0x1234567;
    const rnd = (): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) / 4294967296;
    };
    const int = (n: number): number => Math.floor(rnd() * n);
    for (let round = 0; round < 300; round++) {
      const opts: SequencerOptions = { windowMs: 1 + int(50), maxPending: 1 + int(40), startSeq: int(3) === 0 ? int(20) : 0,
        ...(int(3) === 0 ? { startReason: 'consumer-restart' as GapReason } : {}), ...(int(3) === 0 ? { tailReason: 'no-consumer' as GapReason } : {}) };
      const outA: SequencedRecord[] = [];
      const outB: SequencedRecord[] = [];
      const a = new Sequencer('c', (r) => outA.push(r), opts);
      const b = new ReferenceSequencer('c', (r) => outB.push(r), opts);
      let now = 0;
      let hi = opts.startSeq;
      let lost = 0;
      for (let step = 0; step < 400; step++) {
        const k = int(10);
        if (k < 7) {
          // mostly ahead in order, sometimes skip (a drop), reorder, repeat or go back
          const j = int(10);
          let seq: number;
          if (j < 5) seq = hi++;
          else if (j < 7) { hi += 1 + int(5); lost += 1; seq = hi++; }
          else if (j < 9) seq = Math.max(0, hi - 1 - int(8));
          else seq = hi + int(6);
          const rec = { type: 'syscall', seq } as unknown as OrderedRecord;
          a.push(seq, rec, now);
          b.push(seq, rec, now);
        } else if (k < 9) {
          now += int(30);
          const c: SlotCounters | null = int(4) === 0 ? null : { seq: hi + int(3), lost: lost + int(2) };
          a.flush(now, c);
          b.flush(now, c);
        } else {
          const c: SlotCounters | null = int(3) === 0 ? null : { seq: hi + int(3), lost };
          a.flush(now, c, true);
          b.flush(now, c, true);
        }
        expect(a.pendingCount).toBe(b.pendingCount);
        expect(a.nextSeq).toBe(b.nextSeq);
      }
      expect(outA).toEqual(outB);
      expect([a.records, a.lost, a.late]).toEqual([b.records, b.lost, b.late]);
      expect(outA.filter((r): r is GapRecord => r.type === 'gap').length).toBeGreaterThanOrEqual(0);
    }
  });
});
