// Test helper: a BPF ring buffer in plain memory, with the kernel's layout (data mapped once, as the consumer maps it).
import { Ringbuf } from '../src/layout.js';
import { RingbufReader } from '../src/ringbuf.js';

export class FakeRing {
  readonly consumerPage: ArrayBuffer;
  readonly producerAndData: ArrayBuffer;
  private readonly data: Uint8Array;
  private readonly prod: BigUint64Array;
  private readonly cons: BigUint64Array;
  private pos = 0;

  constructor(readonly size: number, readonly pageSize = 4096) {
    this.consumerPage = new ArrayBuffer(pageSize);
    this.producerAndData = new ArrayBuffer(pageSize + size);
    this.data = new Uint8Array(this.producerAndData, pageSize);
    this.prod = new BigUint64Array(this.producerAndData, 0, 1);
    this.cons = new BigUint64Array(this.consumerPage, 0, 1);
  }

  reader(commitEvery?: number): RingbufReader {
    return new RingbufReader(this.consumerPage, this.producerAndData, this.size, this.pageSize, commitEvery);
  }

  get consumerPos(): number {
    return Number(this.cons[0]);
  }

  free(): number {
    return this.size - (this.pos - this.consumerPos);
  }

  /** Reserves and (unless busy) commits a record; returns false when it does not fit (lost). */
  produce(rec: Uint8Array, opts: { busy?: boolean; discard?: boolean } = {}): boolean {
    const total = (rec.length + Ringbuf.HDR_SZ + 7) & ~7;
    if (total > this.free()) return false;
    const hdr = new Uint8Array(8);
    let len = rec.length;
    if (opts.busy) len |= Ringbuf.BUSY_BIT;
    if (opts.discard) len |= Ringbuf.DISCARD_BIT;
    new DataView(hdr.buffer).setUint32(0, len >>> 0, true);
    this.write(this.pos, hdr);
    this.write(this.pos + 8, rec);
    this.pos += total;
    this.prod[0] = BigInt(this.pos);
    return true;
  }

  /** Commits a record produced busy at `at` (its absolute position). */
  commit(at: number, len: number): void {
    const h = new Uint8Array(8);
    new DataView(h.buffer).setUint32(0, len, true);
    this.write(at, h);
  }

  get producerPos(): number {
    return this.pos;
  }

  private write(abs: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.data[(abs + i) % this.size] = bytes[i]!;
  }
}
