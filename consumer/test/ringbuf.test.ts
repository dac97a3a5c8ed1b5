import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BootClock } from '../src/clock.js';
import { decodeRecord, recordSeq } from '../src/decode.js';
import { FakeRing } from './ring.js';
import { syscallRecord } from './encode.js';

const ctx = { container: 'c', initPid: 1, clock: BootClock.fixed(0) };

describe('ring buffer reader', () => {
  it('reads committed records, skips discarded ones, stops at a busy one', () => {
    const ring = new FakeRing(4096);
    ring.produce(syscallRecord({ nr: 0, seq: 0 }));
    ring.produce(syscallRecord({ nr: 1, seq: 1 }), { discard: true });
    const busyAt = ring.producerPos;
    const busy = syscallRecord({ nr: 2, seq: 2 });
    ring.produce(busy, { busy: true });
    ring.produce(syscallRecord({ nr: 3, seq: 3 }));
    const r = ring.reader();
    const seen: number[] = [];
    const sink = (v: Parameters<Parameters<typeof r.drain>[0]>[0], off: number) => seen.push(recordSeq(v, off));
    expect(r.drain(sink)).toBe(1);
    expect(seen).toEqual([0]);
    expect(ring.consumerPos).toBe(busyAt); // the discarded record's space is given back too
    ring.commit(busyAt, busy.length);
    expect(r.drain(sink)).toBe(2);
    expect(seen).toEqual([0, 2, 3]);
    expect(ring.consumerPos).toBe(ring.producerPos);
    expect(r.backlog()).toBe(0);
  });

  it('reads records that wrap around the end of the data area', () => {
    const ring = new FakeRing(4096);
    const r = ring.reader();
    const got: string[] = [];
    let seq = 0;
    let lost = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 5; i++) {
        if (!ring.produce(syscallRecord({ nr: 257, seq, str0: `/path/${seq}` }))) lost++;
        seq++;
      }
      r.drain((v, off, len) => {
        const rec = decodeRecord(v, off, len, ctx);
        got.push(`${rec!.seq}:${(rec as { args: { pathname: string } }).args.pathname}`);
      });
    }
    expect(lost).toBeGreaterThan(0); // 920-byte records: 4 fit in 4 KiB, so some rounds lose one
    expect(got.length).toBe(seq - lost);
    for (const g of got) {
      const [s, p] = g.split(':');
      expect(p).toBe(`/path/${s}`);
    }
    expect(ring.consumerPos).toBeGreaterThan(4096 * 5);
  });

  it('hands over, byte for byte, a record whose header ends the data area and one that wraps', () => {
    const ring = new FakeRing(4096);
    const r = ring.reader();
    const got: number[][] = [];
    const sink = (v: { bytes: Uint8Array }, off: number, len: number) => got.push([...v.bytes.subarray(off, off + len)]);
    expect(ring.produce(new Uint8Array(4080).fill(7))).toBe(true); // 8 + 4080: the next header is at 4088
    r.drain(sink);
    const a = Uint8Array.from({ length: 40 }, (_, i) => i + 1); // header at 4088, body at 0
    const b = Uint8Array.from({ length: 4056 }, (_, i) => (i * 31) & 0xff); // header at 40, body 48..4104: wraps by 8
    expect(ring.produce(a)).toBe(true);
    r.drain(sink);
    expect(ring.produce(b)).toBe(true);
    r.drain(sink);
    expect(got.length).toBe(3);
    expect(got[1]).toEqual([...a]);
    expect(got[2]).toEqual([...b]);
    expect(ring.consumerPos).toBe(ring.producerPos);
  });

  it('gives space back to the producer during a long drain', () => {
    const ring = new FakeRing(65536);
    for (let i = 0; i < 60; i++) ring.produce(syscallRecord({ nr: 0, seq: i, str0: 'x' }));
    const r = ring.reader(16384);
    const positions: number[] = [];
    r.drain(() => positions.push(ring.consumerPos));
    expect(positions[0]).toBe(0);
    expect(positions.at(-1)).toBeGreaterThan(0); // advanced before the end of the batch
    expect(ring.consumerPos).toBe(ring.producerPos);
  });

  it('rejects a size that is not a power of two', () => {
    expect(() => new FakeRing(3000).reader()).toThrow(/power of two/);
  });
});

describe('kernel ring buffer map (needs root and bpf)', async () => {
  let lib: typeof import('../src/libbpf.js') | null = null;
  let fd = -1;
  try {
    lib = await import('../src/libbpf.js');
    fd = lib.createRingbuf(1 << 16);
  } catch (e) {
    lib = null;
  }
  it.skipIf(lib === null)('maps a real BPF_MAP_TYPE_RINGBUF and drains it (empty)', async () => {
    const { MappedRingbuf, mapInfo, BPF_MAP_TYPE_RINGBUF } = lib!;
    expect(mapInfo(fd).type).toBe(BPF_MAP_TYPE_RINGBUF);
    const m = MappedRingbuf.fromFd(fd);
    const { RingbufReader } = await import('../src/ringbuf.js');
    const r = new RingbufReader(m.consumerPage, m.producerAndData, m.size, m.pageSize);
    expect(m.size).toBe(1 << 16);
    expect(r.backlog()).toBe(0);
    expect(r.drain(() => {})).toBe(0);
    m.close();
  });
  it.skipIf(lib === null)('opens a pinned ring buffer by path', () => {
    const { MappedRingbuf, createRingbuf, closeFd } = lib!;
    if (!existsSync('/sys/fs/bpf')) return;
    const dir = mkdtempSync('/sys/fs/bpf/rt-consumer-test-');
    try {
      const pfd = createRingbuf(1 << 16, `${dir}/rb`);
      closeFd(pfd);
      const m = MappedRingbuf.openPinned(`${dir}/rb`);
      expect(m.size).toBe(1 << 16);
      m.close();
      expect(() => MappedRingbuf.openPinned(`${dir}/missing`)).toThrow(/failed to open .*missing: No such file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
