/**
 * Connects the JSONL writer path to the dashboard. Every record of every container passes through
 * JsonlWriter.write — the header of a new file, syscall, process, gap and exit records — so that is
 * where the dashboard listens (writer.ts's observer), instead of re-reading files or adding a second
 * decode path. Records are handed over by reference after the writer has serialized them (the
 * writer never mutates them afterwards).
 */
import * as path from 'node:path';
import { observeWriters, type JsonlWriter } from '../writer.js';
import type { RecordSubscriber } from './hub.js';

let installed: RecordSubscriber | null = null;

/** Sends every record written by any JsonlWriter to `sub`; returns the function that removes it. */
export function tapJsonlWriter(sub: RecordSubscriber): () => void {
  if (installed !== null) throw new Error('a JSONL writer tap is already installed');
  installed = sub;
  const files = new WeakMap<JsonlWriter, string>(); // resolved once per writer, not per record
  observeWriters({
    written(w, rec) {
      const file = files.get(w);
      if (file !== undefined) {
        sub.record(file, rec);
        return;
      }
      const resolved = path.resolve(w.file);
      files.set(w, resolved);
      const c = w.continued; // a continued file: counts start where the previous run stopped
      sub.record(resolved, rec, c === null ? undefined : { records: c.records, lost: c.lost });
    },
    closed(w) {
      const file = files.get(w);
      if (file !== undefined) sub.closed(file);
    },
  });
  return () => {
    observeWriters(null);
    installed = null;
  };
}
