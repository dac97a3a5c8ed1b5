/**
 * Reads a BPF ring buffer straight from its memory mapping (the kernel's layout):
 *   page 0            consumer_pos (u64), mapped read-write
 *   page 1            producer_pos (u64), mapped read-only, followed by
 *   size bytes        the data pages, mapped once.
 * libbpf maps the data pages twice in a row so that a record wrapping around the end is
 * contiguous; the kernel populates every page of such a mapping at mmap, so that would put
 * 2 × size bytes per traced container into this process's RSS. Mapped once, a record that wraps
 * (at most one per lap of the ring) is copied into a scratch buffer instead.
 * Each record is preceded by an 8-byte header whose u32 length carries BUSY (not yet committed)
 * and DISCARD bits; records are 8-byte aligned. This module only sees ArrayBuffers, so tests run
 * it over plain memory.
 */
import { RecordView } from './decode.js';
import { Ringbuf } from './layout.js';

export type RecordSink = (view: RecordView, off: number, len: number) => void;

const LEN_MASK = ~(Ringbuf.BUSY_BIT | Ringbuf.DISCARD_BIT) >>> 0;

export class RingbufReader {
  private readonly consumerPos: BigUint64Array;
  private readonly producerPos: BigUint64Array;
  private readonly words: Int32Array;
  readonly view: RecordView;

  /**
   * @param consumerPage the consumer_pos page
   * @param producerAndData producer_pos page + size data bytes
   */
  constructor(
    consumerPage: ArrayBuffer,
    producerAndData: ArrayBuffer,
    readonly size: number,
    readonly pageSize: number,
    /** consumer_pos is advanced at least every this many bytes so the producer gets space back */
    private readonly commitEvery = Math.max(size >> 2, 4096),
  ) {
    if ((size & (size - 1)) !== 0) throw new Error(`ring buffer size ${size} is not a power of two`);
    if (producerAndData.byteLength < pageSize + size) throw new Error('ring buffer mapping too small');
    this.consumerPos = new BigUint64Array(consumerPage, 0, 1);
    this.producerPos = new BigUint64Array(producerAndData, 0, 1);
    this.words = new Int32Array(producerAndData, pageSize, size >> 2);
    this.view = new RecordView(producerAndData, pageSize, size);
  }

  /** where wrapping records are put together (grown on demand, reused) */
  private scratch: RecordView | null = null;

  /** The record of `len` bytes at data offset `start`, which runs past the end: copied, contiguous. */
  private wrapped(start: number, len: number): RecordView {
    if (this.scratch === null || this.scratch.bytes.length < len) this.scratch = new RecordView(new ArrayBuffer(Math.max(len, 4096)));
    const head = this.size - start;
    this.scratch.bytes.set(this.view.bytes.subarray(start, this.size), 0);
    this.scratch.bytes.set(this.view.bytes.subarray(0, len - head), head);
    return this.scratch;
  }

  /** Bytes committed or in flight that the consumer has not passed yet. */
  backlog(): number {
    return Number(Atomics.load(this.producerPos, 0) - Atomics.load(this.consumerPos, 0));
  }

  /**
   * Hands every committed record to `sink` (synchronously; the bytes are only valid during the
   * call) and advances consumer_pos. Stops at the first record still being written.
   * Returns the number of records handed over.
   */
  drain(sink: RecordSink, maxRecords = Infinity): number {
    let cons = Number(Atomics.load(this.consumerPos, 0));
    const prod = Number(Atomics.load(this.producerPos, 0));
    const size = this.size;
    let committed = cons;
    let n = 0;
    while (cons < prod && n < maxRecords) {
      const off = cons % size;
      const hdr = Atomics.load(this.words, off >> 2) >>> 0;
      if ((hdr & Ringbuf.BUSY_BIT) !== 0) break;
      const len = (hdr & LEN_MASK) >>> 0;
      if ((hdr & Ringbuf.DISCARD_BIT) === 0) {
        // The 8-byte header never wraps (8-aligned in a power-of-two area); the record may.
        const start = (off + Ringbuf.HDR_SZ) % size;
        if (start + len <= size) sink(this.view, start, len);
        else sink(this.wrapped(start, len), 0, len);
        n++;
      }
      cons += (len + Ringbuf.HDR_SZ + 7) & ~7;
      if (cons - committed >= this.commitEvery) {
        Atomics.store(this.consumerPos, 0, BigInt(cons));
        committed = cons;
      }
    }
    if (cons !== committed) Atomics.store(this.consumerPos, 0, BigInt(cons));
    return n;
  }
}
