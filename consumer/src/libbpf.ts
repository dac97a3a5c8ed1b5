/**
 * The few libbpf / libc calls the consumer needs, through koffi (no native addon of our own):
 * pinned objects (bpf_obj_get), map info, `slots` lookups, mmap of ring buffer maps, clocks.
 */
import koffi from 'koffi';
import type { ClockSample } from './clock.js';
import { Slot } from './layout.js';
import type { SlotCounters } from './sequencer.js';
import { readU64Number } from './u64.js';

const PROT_READ = 0x1;
const PROT_WRITE = 0x2;
const MAP_SHARED = 0x1;
const MAP_FAILED = 0xffffffffffffffffn;
const SC_PAGESIZE = 30;
const CLOCK_REALTIME = 0;
const CLOCK_BOOTTIME = 7;
export const BPF_MAP_TYPE_RINGBUF = 27;

let libc: ReturnType<typeof bindLibc> | undefined;
let libbpf: ReturnType<typeof bindLibbpf> | undefined;

function bindLibc() {
  const lib = koffi.load('libc.so.6');
  return {
    mmap: lib.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)'),
    munmap: lib.func('int munmap(void *addr, size_t len)'),
    close: lib.func('int close(int fd)'),
    sysconf: lib.func('long sysconf(int name)'),
    clock_gettime: lib.func('int clock_gettime(int clk, int64_t *ts)'),
    strerror: lib.func('const char *strerror(int errnum)'),
    flock: lib.func('int flock(int fd, int op)'),
  };
}

function bindLibbpf() {
  const lib = koffi.load(process.env.RUNC_TRACE_LIBBPF ?? 'libbpf.so.1');
  return {
    bpf_obj_get: lib.func('int bpf_obj_get(const char *pathname)'),
    bpf_obj_get_info_by_fd: lib.func('int bpf_obj_get_info_by_fd(int fd, void *info, uint32_t *len)'),
    bpf_map_lookup_elem: lib.func('int bpf_map_lookup_elem(int fd, const void *key, void *value)'),
    bpf_map_create: lib.func('int bpf_map_create(int type, const char *name, uint32_t key_size, uint32_t value_size, uint32_t max_entries, const void *opts)'),
    bpf_obj_pin: lib.func('int bpf_obj_pin(int fd, const char *pathname)'),
  };
}

function c() {
  return (libc ??= bindLibc());
}
function bpf() {
  return (libbpf ??= bindLibbpf());
}

export function strerror(errno: number): string {
  return String(c().strerror(errno));
}

/** libbpf returns -errno (strict mode); libc sets errno. */
function fail(verb: string, object: string, err: number): Error {
  const e = new Error(`failed to ${verb} ${object}: ${strerror(Math.abs(err))}`) as Error & { errno: number };
  e.errno = Math.abs(err);
  return e;
}

export function pageSize(): number {
  return Number(c().sysconf(SC_PAGESIZE));
}

const LOCK_EX = 2;
const LOCK_NB = 4;

/**
 * Takes an exclusive, non-blocking flock on an open fd. Two consumers on one
 * ring buffer would each advance its consumer position and split the
 * records between them, so only one may run per host.
 */
export function tryLockExclusive(fd: number): boolean {
  if (c().flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
  const err = koffi.errno();
  if (err === 11 /* EWOULDBLOCK */) return false;
  throw fail('lock', `fd ${fd}`, err);
}

export function closeFd(fd: number): void {
  c().close(fd);
}

const tsBuf = new BigInt64Array(2);
export function sampleClocks(): ClockSample {
  const { clock_gettime } = c();
  clock_gettime(CLOCK_BOOTTIME, tsBuf);
  const bootSec = Number(tsBuf[0]);
  const bootNsec = Number(tsBuf[1]);
  clock_gettime(CLOCK_REALTIME, tsBuf);
  return { bootSec, bootNsec, realSec: Number(tsBuf[0]), realNsec: Number(tsBuf[1]) };
}

/** Opens a pinned BPF object; returns its fd. */
export function objGet(path: string): number {
  const fd = bpf().bpf_obj_get(path) as number;
  if (fd < 0) throw fail('open', path, fd === -1 ? koffi.errno() : fd);
  return fd;
}

export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export function mapInfo(fd: number): MapInfo {
  const info = Buffer.alloc(128); // struct bpf_map_info is ~100 bytes; the kernel fills what fits
  const len = new Uint32Array([info.length]);
  const err = bpf().bpf_obj_get_info_by_fd(fd, info, len) as number;
  if (err < 0) throw fail('get info of', `map fd ${fd}`, err);
  return {
    type: info.readUInt32LE(0),
    id: info.readUInt32LE(4),
    keySize: info.readUInt32LE(8),
    valueSize: info.readUInt32LE(12),
    maxEntries: info.readUInt32LE(16),
  };
}

/** Creates (and optionally pins) a ring buffer map — for tests of the mapping code. */
export function createRingbuf(size: number, pinPath?: string): number {
  const fd = bpf().bpf_map_create(BPF_MAP_TYPE_RINGBUF, 'rt_test_rb', 0, 0, size, null) as number;
  if (fd < 0) throw fail('create', 'ring buffer map', fd);
  if (pinPath !== undefined) {
    const err = bpf().bpf_obj_pin(fd, pinPath) as number;
    if (err < 0) {
      closeFd(fd);
      throw fail('pin', pinPath, err);
    }
  }
  return fd;
}

/** The `slots` map: per-container seq and lost counters. */
export class SlotsMap {
  private readonly key = new Uint32Array(1);
  private readonly value = Buffer.alloc(Slot.SIZE);
  private readonly dv = new DataView(this.value.buffer, this.value.byteOffset, Slot.SIZE);

  private constructor(private fd: number) {}

  static open(path: string): SlotsMap {
    const fd = objGet(path);
    const info = mapInfo(fd);
    if (info.valueSize !== Slot.SIZE) {
      closeFd(fd);
      throw new Error(`${path}: value size ${info.valueSize}, expected struct trace_slot of ${Slot.SIZE} bytes`);
    }
    return new SlotsMap(fd);
  }

  /** Counters of `slot` if it still belongs to the expected tenant (same gen and cgroup). */
  lookup(slot: number, gen: number, cgroupId: number): (SlotCounters & { gen: number; cgroupId: number }) | null {
    this.key[0] = slot;
    if ((bpf().bpf_map_lookup_elem(this.fd, this.key, this.value) as number) < 0) return null;
    const g = this.dv.getUint32(24, true);
    const cg = readU64Number(this.dv, 0);
    if (g !== gen || cg !== cgroupId) return null;
    return { seq: readU64Number(this.dv, 8), lost: readU64Number(this.dv, 16), gen: g, cgroupId: cg };
  }

  close(): void {
    if (this.fd >= 0) closeFd(this.fd);
    this.fd = -1;
  }
}

/** A ring buffer map mapped into this process: the two regions RingbufReader reads. */
export class MappedRingbuf {
  private constructor(
    private fd: number,
    private consumerAddr: bigint,
    private dataAddr: bigint,
    readonly size: number,
    readonly pageSize: number,
    readonly consumerPage: ArrayBuffer,
    readonly producerAndData: ArrayBuffer,
  ) {}

  static openPinned(path: string): MappedRingbuf {
    const fd = objGet(path);
    try {
      return MappedRingbuf.fromFd(fd, path);
    } catch (e) {
      closeFd(fd);
      throw e;
    }
  }

  /** Takes ownership of fd. */
  static fromFd(fd: number, what = `fd ${fd}`): MappedRingbuf {
    const info = mapInfo(fd);
    if (info.type !== BPF_MAP_TYPE_RINGBUF) throw new Error(`${what}: map type ${info.type} is not a ring buffer`);
    const page = pageSize();
    const size = info.maxEntries;
    const { mmap, munmap } = c();
    const cons = mmap(null, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) as bigint;
    if (cons === MAP_FAILED) throw fail('mmap', `consumer page of ${what}`, koffi.errno());
    const dataLen = page + size; // the data once, not twice as libbpf does (ringbuf.ts says why)
    const data = mmap(null, dataLen, PROT_READ, MAP_SHARED, fd, page) as bigint;
    if (data === MAP_FAILED) {
      const err = koffi.errno();
      munmap(cons, page);
      throw fail('mmap', `data pages of ${what}`, err);
    }
    return new MappedRingbuf(fd, cons, data, size, page, koffi.view(cons, page), koffi.view(data, dataLen));
  }

  /** Unmaps; the ArrayBuffers must not be touched afterwards. */
  close(): void {
    if (this.fd < 0) return;
    const { munmap } = c();
    munmap(this.consumerAddr, this.pageSize);
    munmap(this.dataAddr, this.pageSize + this.size);
    closeFd(this.fd);
    this.fd = -1;
    this.consumerAddr = 0n;
    this.dataAddr = 0n;
  }
}
