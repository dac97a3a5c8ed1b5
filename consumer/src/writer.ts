/**
 * One JSONL file per traced container: DIR/<id>.jsonl, mode 0600, records buffered as preformatted
 * lines and written in batches. A new container that reuses an id gets a fresh file; the previous
 * file is kept as DIR/<id>.<n>.jsonl (lowest free n ≥ 1). A consumer that restarts while the same
 * container (same slot, gen, cgroup id) is still traced continues the file it left unfinished.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HeaderRecord, TraceRecord } from './schema.js';

export interface Continuation {
  /** last seq written (a record's seq or a gap's seq_to); -1 when only the header was written */
  lastSeq: number;
  records: number;
  lost: number;
}

/** Creates DIR with mode 0700 (and tightens an existing one). */
export function prepareOutDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

export function jsonlPath(dir: string, id: string): string {
  return path.join(dir, `${id}.jsonl`);
}

/** Moves DIR/<id>.jsonl aside to DIR/<id>.<n>.jsonl; returns the new path. */
export function rotate(dir: string, id: string): string {
  const from = jsonlPath(dir, id);
  for (let n = 1; ; n++) {
    const to = path.join(dir, `${id}.${n}.jsonl`);
    if (!fs.existsSync(to)) {
      fs.renameSync(from, to);
      return to;
    }
  }
}

function sameTenant(a: HeaderRecord, b: HeaderRecord): boolean {
  return a.container === b.container && a.slot === b.slot && a.gen === b.gen &&
    String(a.cgroup_id) === String(b.cgroup_id) && a.init_pid === b.init_pid && a.started === b.started;
}

/**
 * Reads an existing file: if it was written for the same tenant as `header` and has no exit
 * record, returns where it stopped; otherwise null.
 */
export function inspectForContinuation(file: string, header: HeaderRecord): Continuation | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  let first: unknown;
  try {
    first = JSON.parse(lines[0] ?? '');
  } catch {
    return null;
  }
  if (typeof first !== 'object' || first === null || (first as { type?: unknown }).type !== 'header') return null;
  if (!sameTenant(first as HeaderRecord, header)) return null;
  const cont: Continuation = { lastSeq: -1, records: 0, lost: 0 };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    let r: { type?: string; seq?: unknown; seq_to?: unknown; lost?: unknown };
    try {
      r = JSON.parse(line);
    } catch {
      continue; // a torn last line from a killed consumer
    }
    if (r.type === 'exit') return null;
    if (r.type === 'gap') {
      cont.lost += Number(r.lost);
      cont.lastSeq = Math.max(cont.lastSeq, Number(r.seq_to));
    } else if (r.type === 'syscall' || r.type === 'process') {
      cont.records++;
      cont.lastSeq = Math.max(cont.lastSeq, Number(r.seq));
    }
  }
  // Drop a torn last line so appended records start on a line of their own.
  if (!text.endsWith('\n')) fs.truncateSync(file, text.lastIndexOf('\n') + 1);
  return cont;
}

export class JsonlWriter {
  private lines: string[] = [];
  private bytes = 0;
  private fd: number;

  private constructor(readonly file: string, fd: number, readonly continued: Continuation | null) {
    this.fd = fd;
  }

  /**
   * Opens DIR/<id>.jsonl for `header`'s container: continues an unfinished file of the same
   * tenant, otherwise rotates any existing file away and starts a new one with the header.
   */
  static open(dir: string, header: HeaderRecord, flushBytes = 1 << 20): JsonlWriter {
    const file = jsonlPath(dir, header.container);
    let cont: Continuation | null = null;
    if (fs.existsSync(file)) {
      cont = inspectForContinuation(file, header);
      if (cont === null) rotate(dir, header.container);
    }
    const fd = fs.openSync(file, cont === null ? 'wx' : 'a', 0o600);
    fs.fchmodSync(fd, 0o600);
    const w = new JsonlWriter(file, fd, cont);
    w.flushBytes = flushBytes;
    if (cont === null) {
      w.write(header);
      w.flush();
    }
    return w;
  }

  private flushBytes = 1 << 20;

  write(rec: TraceRecord): void {
    const line = JSON.stringify(rec);
    this.lines.push(line);
    this.bytes += line.length + 1;
    if (this.bytes >= this.flushBytes) this.flush();
  }

  flush(): void {
    if (this.lines.length === 0 || this.fd < 0) return;
    const data = this.lines.join('\n') + '\n';
    this.lines = [];
    this.bytes = 0;
    let buf = Buffer.from(data, 'utf8');
    while (buf.length > 0) {
      const n = fs.writeSync(this.fd, buf);
      buf = buf.subarray(n);
    }
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = -1;
  }
}
