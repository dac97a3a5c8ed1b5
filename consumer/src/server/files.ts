/**
 * Recorded traces in --out DIR: the listing the dashboard shows and the only names
 * /api/files/<name> will open. A name is served only if it is in the directory listing as a
 * regular *.jsonl file; nothing the client sends is ever joined into a path unchecked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerSummary } from '../protocol.js';

const NAME = /^[^/\\\0]+\.jsonl$/;

interface Cached {
  size: number;
  mtimeMs: number;
  summary: ContainerSummary;
}

export class TraceDirectory {
  private readonly cache = new Map<string, Cached>();
  constructor(readonly dir: string) {}

  /** Names of the regular *.jsonl files in the directory. */
  names(): string[] {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(this.dir, { withFileTypes: true });
    } catch {
      return [];
    }
    return ents.filter((e) => e.isFile() && !e.name.startsWith('.') && NAME.test(e.name)).map((e) => e.name);
  }

  /**
   * The absolute path of `name` if it is one of the listed files, else null. The check is
   * membership in the listing, so "..", "a/b", encoded slashes or symlinks never pass.
   */
  resolve(name: string): string | null {
    if (!NAME.test(name) || name.startsWith('.')) return null;
    if (!this.names().includes(name)) return null;
    return path.join(this.dir, name);
  }

  /** Summaries of every recorded file (header and exit lines; the middle is not read). */
  list(): ContainerSummary[] {
    const out: ContainerSummary[] = [];
    const names = this.names();
    for (const name of names) {
      const file = path.join(this.dir, name);
      let st: fs.Stats;
      try {
        st = fs.statSync(file);
      } catch {
        continue;
      }
      const c = this.cache.get(name);
      if (c !== undefined && c.size === st.size && c.mtimeMs === st.mtimeMs) {
        out.push(c.summary);
        continue;
      }
      const summary = summarize(file, name, st.size);
      this.cache.set(name, { size: st.size, mtimeMs: st.mtimeMs, summary });
      out.push(summary);
    }
    for (const k of this.cache.keys()) if (!names.includes(k)) this.cache.delete(k);
    return out;
  }
}

function readSlice(file: string, pos: number, len: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(len);
    const n = fs.readSync(fd, buf, 0, len, pos);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

function parseObject(line: string | undefined): Record<string, unknown> | null {
  if (line === undefined || line === '') return null;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const int = (v: unknown): number | null => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
};

/** Reads the first line (header) and the last line (exit, if the trace is complete). */
export function summarize(file: string, name: string, size: number): ContainerSummary {
  const s: ContainerSummary = {
    file: name, container: name.replace(/(\.\d+)?\.jsonl$/, ''), stream: null, state: 'incomplete',
    status: null, signal: null, records: null, lost: null, started: null, bytes: size,
  };
  try {
    const head = parseObject(readSlice(file, 0, Math.min(size, 64 * 1024)).split('\n')[0]);
    if (head?.type === 'header') {
      if (typeof head.container === 'string') s.container = head.container;
      if (typeof head.started === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(head.started)) s.started = head.started;
    }
    const tailLen = Math.min(size, 4096);
    const lines = readSlice(file, size - tailLen, tailLen).split('\n').filter((l) => l !== '');
    const last = parseObject(lines[lines.length - 1]);
    if (last?.type === 'exit') {
      s.state = 'exited';
      s.status = int(last.status);
      s.signal = typeof last.signal === 'string' ? last.signal : null;
      s.records = int(last.records) ?? 0;
      s.lost = int(last.lost) ?? 0;
    }
  } catch {
    // unreadable: listed as incomplete with what the name says
  }
  return s;
}
