/**
 * Connects the JSONL writer path to the dashboard. Every record of every container passes through
 * JsonlWriter.write — the header of a new file, syscall, process, gap and exit records — so that is
 * where the dashboard listens, instead of re-reading files or adding a second decode path.
 * Installing the tap wraps the writer's methods once; records are handed over by reference after
 * the writer has serialized them (the writer never mutates them afterwards).
 */
import * as path from 'node:path';
import { JsonlWriter } from '../writer.js';
import type { TraceRecord } from '../schema.js';
import type { RecordSubscriber } from './hub.js';

let installed: RecordSubscriber | null = null;

/** Sends every record written by any JsonlWriter to `sub`; returns the function that removes it. */
export function tapJsonlWriter(sub: RecordSubscriber): () => void {
  if (installed !== null) throw new Error('a JSONL writer tap is already installed');
  installed = sub;
  const proto = JsonlWriter.prototype;
  const write = proto.write;
  const close = proto.close;
  const seen = new WeakSet<JsonlWriter>();
  proto.write = function (this: JsonlWriter, rec: TraceRecord): void {
    write.call(this, rec);
    if (!seen.has(this)) {
      seen.add(this);
      const c = this.continued; // a continued file: counts start where the previous run stopped
      sub.record(path.resolve(this.file), rec, c === null ? undefined : { records: c.records, lost: c.lost });
      return;
    }
    sub.record(path.resolve(this.file), rec);
  };
  proto.close = function (this: JsonlWriter): void {
    close.call(this);
    if (seen.has(this)) sub.closed(path.resolve(this.file));
  };
  return () => {
    proto.write = write;
    proto.close = close;
    installed = null;
  };
}
