import { describe, expect, it } from 'vitest';
import type { DecodedRecord } from '../src/decode.js';
import { Sequencer, type SequencedRecord } from '../src/sequencer.js';

const rec = (seq: number) => ({ type: 'syscall', seq }) as unknown as DecodedRecord;
function setup(opts: Partial<ConstructorParameters<typeof Sequencer>[2]> = {}) {
  const out: SequencedRecord[] = [];
  const s = new Sequencer('c', (r) => out.push(r), { windowMs: 100, maxPending: 1000, startSeq: 0, ...opts });
  const push = (now: number, ...seqs: number[]) => seqs.forEach((q) => s.push(q, rec(q), now));
  const seqs = () => out.map((r) => (r.type === 'gap' ? `gap${r.seq_from}-${r.seq_to}:${r.reason}` : String((r as { seq: number }).seq)));
  return { s, out, push, seqs };
}

describe('sequencer', () => {
  it('passes records in order straight through', () => {
    const { s, push, seqs } = setup();
    push(0, 0, 1, 2);
    s.flush(0, { seq: 3, lost: 0 });
    expect(seqs()).toEqual(['0', '1', '2']);
    expect(s.records).toBe(3);
  });

  it('reorders records within the window', () => {
    const { s, push, seqs } = setup();
    push(0, 1, 2, 0, 4, 3);
    s.flush(50, null);
    expect(seqs()).toEqual(['0', '1', '2', '3', '4']);
  });

  it('turns a hole covered by the lost counter into a ringbuf-full gap after the window', () => {
    const { s, push, seqs, out } = setup();
    push(0, 0, 1, 5, 6);
    s.flush(50, { seq: 7, lost: 3 });
    expect(seqs()).toEqual(['0', '1']); // still waiting
    s.flush(100, { seq: 7, lost: 3 });
    expect(seqs()).toEqual(['0', '1', 'gap2-4:ringbuf-full', '5', '6']);
    expect(out[2]).toEqual({ type: 'gap', container: 'c', seq_from: 2, seq_to: 4, lost: 3, reason: 'ringbuf-full' });
    expect(s.lost).toBe(3);
  });

  it('calls a hole the lost counter does not cover unaccounted', () => {
    const { s, push, seqs } = setup();
    push(0, 0, 2);
    s.flush(200, { seq: 3, lost: 0 });
    expect(seqs()).toEqual(['0', 'gap1-1:unaccounted', '2']);
  });

  it('attributes the lost counter only once', () => {
    const { s, push, seqs } = setup();
    push(0, 1);
    s.flush(100, { seq: 2, lost: 1 });
    push(100, 3);
    s.flush(200, { seq: 4, lost: 1 });
    expect(seqs()).toEqual(['gap0-0:ringbuf-full', '1', 'gap2-2:unaccounted', '3']);
  });

  it('closes holes when too many records wait', () => {
    const { push, seqs } = setup({ maxPending: 2 });
    push(0, 1, 2, 3);
    expect(seqs()).toEqual(['gap0-0:unaccounted', '1', '2', '3']);
  });

  it('on the final flush closes every hole and the tail the slot counter reports', () => {
    const { s, push, seqs } = setup();
    push(0, 0, 3, 7);
    s.flush(1, { seq: 12, lost: 100 }, true);
    expect(seqs()).toEqual(['0', 'gap1-2:ringbuf-full', '3', 'gap4-6:ringbuf-full', '7', 'gap8-11:ringbuf-full']);
    expect(s.lost).toBe(9);
    expect(s.records).toBe(3);
  });

  it('emits a record that arrives after its gap instead of dropping it', () => {
    const { s, push, seqs } = setup();
    push(0, 1);
    s.flush(100, null);
    push(100, 0);
    expect(seqs()).toEqual(['gap0-0:unaccounted', '1', '0']);
    expect(s.late).toBe(1);
  });

  it('continues a file: starts after the last written seq and names the first hole', () => {
    const { s, push, seqs } = setup({ startSeq: 10, startReason: 'consumer-restart' });
    push(0, 12, 13);
    s.flush(100, { seq: 14, lost: 0 });
    expect(seqs()).toEqual(['gap10-11:consumer-restart', '12', '13']);
  });

  it('after a restart mid-flood: the restart hole is consumer-restart, later holes ringbuf-full (lost counter minus what the file already attributed)', () => {
    // The file holds 0..9 with 100 numbers already written as ringbuf-full gaps; the kernel's counter
    // is the container's total (100 + 5 + the restart hole's own drops, which nobody can tell apart).
    const { s, push, seqs } = setup({ startSeq: 10, startReason: 'consumer-restart', lostAttributed: 100 });
    push(0, 20, 21, 27);
    s.flush(100, { seq: 28, lost: 110 });
    s.flush(200, { seq: 28, lost: 110 });
    expect(seqs()).toEqual(['gap10-19:consumer-restart', '20', '21', 'gap22-26:ringbuf-full', '27']);
  });

  it('names the final hole with tailReason when the lost counter does not explain it', () => {
    const { s, push, seqs } = setup({ tailReason: 'no-consumer' });
    push(0, 0, 1);
    s.flush(0, { seq: 5, lost: 0 }, true);
    expect(seqs()).toEqual(['0', '1', 'gap2-4:no-consumer']);
  });
});
