/**
 * Spill files: what `runc-trace-bpf disarm` kept of a container's ring when it was deleted before a
 * consumer read it (bpf/loader.c spill_ring). SPILL_DIR/<id>.<gen>.<armed_boot_ns>.spill holds one
 * JSON line (SpillHeader: the container's state file, the slot's final seq/lost counters) and then
 * the records as the ring held them, without the ring's framing. A `.lost` loss marker (the copy
 * failed, e.g. disk full) has the line only.
 *
 * The import writes the container's JSONL through the same TracedContainer as a live ring, so the
 * file is what a live consumer would have written: header (or the continuation of a file an earlier
 * consumer run left unfinished), records, gaps, exit. The exit record says `source: "spill"` (or
 * `"loss-marker"`); numbers nobody kept are a gap `no-consumer`. The spill file is removed only
 * after the JSONL is fsync'd; a spill of a tenant this consumer already read live, or whose sealed
 * file exists, is a duplicate and only removed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildHeader, tenantKey, TracedContainer, type ContainerDeps } from './container.js';
import { RecordView } from './decode.js';
import { Hdr } from './layout.js';
import type { RecordSink } from './ringbuf.js';
import { SpillHeader } from './schema.js';
import { sealedFileOf } from './writer.js';

export interface Spill {
  file: string;
  header: SpillHeader;
  /** the records (empty for a loss marker) */
  records: Buffer;
}

/** Reads and validates a spill file or loss marker; throws an Error naming the file. */
export function readSpill(file: string): Spill {
  const data = fs.readFileSync(file);
  const nl = data.indexOf(10);
  if (nl < 0) throw new Error(`${file}: not a spill file (no header line)`);
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8', 0, nl));
  } catch (e) {
    throw new Error(`${file}: not a spill file: ${(e as Error).message}`);
  }
  const res = SpillHeader.safeParse(json);
  if (!res.success) {
    throw new Error(`${file}: not a spill file: ${res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  // The id becomes a file name under --out: the helper only arms ids like runc's.
  const id = res.data.state.id;
  if (!/^[A-Za-z0-9_.+-]+$/.test(id) || id === '.' || id === '..' || id.length > 1024) {
    throw new Error(`${file}: not a spill file: container id ${JSON.stringify(id)} is not a valid id`);
  }
  return { file, header: res.data, records: data.subarray(nl + 1) };
}

/** Hands the spilled records to the sink once (TracedContainer skips what a continued file already has). */
export class SpillReader {
  private done = false;
  constructor(private readonly records: Buffer) {}

  drain(sink: RecordSink): number {
    if (this.done) return 0;
    this.done = true;
    const b = this.records;
    const view = new RecordView(b.buffer, b.byteOffset, b.byteLength);
    let n = 0;
    for (let off = 0; off + Hdr.SIZE <= b.length; ) {
      const size = view.dv.getUint32(off + Hdr.size, true);
      if (size < Hdr.SIZE || off + size > b.length) break; // torn or foreign bytes: the decoder's bounds end here
      sink(view, off, size);
      n++;
      off += (size + 7) & ~7;
    }
    return n;
  }
}

export interface SpillDirs {
  /** where runc-trace-bpf writes spills (/var/lib/runc-trace/spill) */
  spillDir: string;
  /** where it writes loss markers when even the spill dir is full (/run/runc-trace/lost) */
  lostDir: string;
}

function spillFiles(dirs: SpillDirs): string[] {
  const out: string[] = [];
  for (const dir of [dirs.spillDir, dirs.lostDir]) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names.sort()) if (!n.startsWith('.') && (n.endsWith('.spill') || n.endsWith('.lost'))) out.push(path.join(dir, n));
  }
  return out;
}

function removeDurably(file: string): void {
  fs.rmSync(file, { force: true });
  const fd = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Imports spill files and loss markers, oldest name first. `tracedLive` holds the tenant keys this
 * consumer read from their live ring (their spill is a subset of what it read). Files that fail are
 * kept for the next scan (`failed` remembers them so the error is logged once; with
 * `retryFailed` false they are passed over). No new file is started once performance.now() passes
 * `until` (one always is), so that a backlog of spills is imported in slices between the drains of
 * live rings instead of starving them; `more` says files were left for the next slice.
 */
export function importSpills(
  dirs: SpillDirs, deps: ContainerDeps, tracedLive: Set<string>, failed: Set<string>, now: number,
  until = Infinity, retryFailed = true,
): { imported: number; more: boolean } {
  let imported = 0;
  let started = 0;
  for (const file of spillFiles(dirs)) {
    if (!retryFailed && failed.has(file)) continue;
    if (started > 0 && performance.now() >= until) return { imported, more: true };
    started++;
    let spill: Spill;
    try {
      spill = readSpill(file);
    } catch (e) {
      if (!failed.has(file)) deps.log(`${(e as Error).message}; left in place`);
      failed.add(file);
      continue;
    }
    const { header: h } = spill;
    const state = h.state;
    try {
      if (tracedLive.has(tenantKey(state))) {
        removeDurably(file);
        deps.log(`${state.id}: ${file}: already read from the live ring; removed`);
        continue;
      }
      const sealed = sealedFileOf(deps.outDir, buildHeader(state, deps.clock));
      if (sealed !== null) {
        removeDurably(file);
        deps.log(`${state.id}: ${file}: already sealed in ${sealed}; removed`);
        continue;
      }
      const reader = new SpillReader(spill.records);
      const counters = { seq: h.seq, lost: h.lost };
      const c = new TracedContainer(state, {
        ...deps,
        openRing: () => ({ reader, close: () => {} }),
        slotCounters: () => counters,
      }, { source: h.kind === 'records' ? 'spill' : 'loss-marker', tailReason: 'no-consumer' });
      c.tick(now);
      if (!c.finish(now, true)) throw new Error(`could not write ${c.file}`);
      removeDurably(file);
      failed.delete(file);
      imported++;
      deps.log(`${state.id}: imported ${h.kind === 'records' ? 'spill' : `loss marker (${h.error ?? 'spill failed'})`} ${file} → ${c.file}`);
    } catch (e) {
      if (!failed.has(file)) deps.log(`${state.id}: failed to import ${file}: ${(e as Error).message}; kept for the next scan`);
      failed.add(file);
    }
  }
  return { imported, more: false };
}
