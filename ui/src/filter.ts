/** Record filters of the table and of exports. Pure functions over rows. */
import type { Row } from './dataset.js';
import type { TraceRecord } from './types.js';

export interface Filter {
  /** syscall names or process events (fork, exec, exit), comma/space separated; empty = all */
  syscall: string;
  /** pid or tid, comma/space separated; empty = all */
  pid: string;
  phase: '' | 'workload' | 'runtime';
  failedOnly: boolean;
  /** case-insensitive substring of paths, argv, addresses, comm */
  text: string;
  /** [from, to] in ms since the epoch, inclusive; null = whole trace */
  range: [number, number] | null;
}

export const EMPTY_FILTER: Filter = { syscall: '', pid: '', phase: '', failedOnly: false, text: '', range: null };

export function isEmpty(f: Filter): boolean {
  return f.syscall.trim() === '' && f.pid.trim() === '' && f.phase === '' && !f.failedOnly && f.text === '' && f.range === null;
}

const words = (s: string): string[] => s.split(/[\s,]+/).filter((w) => w !== '');

/** The name a row answers to in the syscall filter. */
export function eventName(r: Row): string {
  switch (r.type) {
    case 'syscall':
      return r.syscall;
    case 'process':
      return r.event;
    default:
      return r.type;
  }
}

/** Everything the free-text filter searches, lower-cased; '' for rows without such fields. */
export function searchText(r: TraceRecord | Row): string {
  const parts: string[] = [];
  if (r.type === 'syscall') {
    parts.push(r.comm);
    for (const [k, v] of Object.entries(r.args)) {
      if (k === 'raw') continue;
      if (typeof v === 'string') parts.push(v);
      else if (Array.isArray(v)) parts.push(v.join(' '));
    }
  } else if (r.type === 'process') {
    parts.push(r.comm);
    if (r.event === 'exec') parts.push(r.filename);
  }
  return parts.join('\u0001').toLowerCase();
}

export type Predicate = (r: Row, time: number, text: () => string) => boolean;

export function compileFilter(f: Filter): Predicate {
  const names = new Set(words(f.syscall));
  const pids = new Set(words(f.pid).map(Number).filter(Number.isInteger));
  const needle = f.text.toLowerCase();
  const range = f.range;
  return (r, time, text) => {
    // Gaps, client drops and the exit line are never filtered away: a hole must stay visible.
    if (r.type === 'gap' || r.type === 'drop' || r.type === 'exit') return range === null || (time >= range[0] && time <= range[1]);
    if (r.type === 'header') return false;
    if (range !== null && (time < range[0] || time > range[1])) return false;
    if (names.size > 0 && !names.has(eventName(r))) return false;
    if (pids.size > 0 && !pids.has(r.pid) && !pids.has(r.tid)) return false;
    if (f.phase !== '' && r.phase !== f.phase) return false;
    if (f.failedOnly && !(r.type === 'syscall' && r.errno !== null)) return false;
    if (needle !== '' && !text().includes(needle)) return false;
    return true;
  };
}
