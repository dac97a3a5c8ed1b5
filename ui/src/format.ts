/** One-line renderings of rows for the table; untrusted parts stay plain strings (rendered by <Txt>). */
import type { Row } from './dataset.js';

export function clock(ts: string): string {
  return ts.slice(11, 26); // HH:MM:SS.µµµµµµ
}

export function clockMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(Math.floor(ms));
  const us = Math.round((ms - Math.floor(ms)) * 1000);
  return d.toISOString().slice(11, 23) + String(us).padStart(3, '0');
}

export function duration(ns: number | string): string {
  const n = Number(ns);
  if (n < 1e3) return `${n}ns`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}µs`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)}ms`;
  return `${(n / 1e9).toFixed(2)}s`;
}

// Quotes and backslashes escaped so the quoting stays unambiguous; <Txt> makes control characters visible.
const q = (s: string) => s.replace(/["\\]/g, '\\$&');

export function summary(r: Row): string {
  switch (r.type) {
    case 'syscall': {
      const a = r.args;
      const parts: string[] = [];
      if (a.dirfd !== undefined && a.dirfd !== -100) parts.push(`dirfd=${a.dirfd}`);
      if (a.fd !== undefined) parts.push(`fd=${a.fd}`);
      // sendfile, splice, tee, copy_file_range: fd is the first descriptor, this is the other one.
      const other = a.in_fd ?? a.fd_out;
      if (typeof other === 'number') parts.push(`${a.in_fd !== undefined ? 'in_fd' : 'fd_out'}=${other}`);
      if (a.filename !== undefined) parts.push(`"${q(a.filename)}"`);
      if (a.pathname !== undefined) parts.push(`"${q(a.pathname)}"${a.pathname_truncated ? '…' : ''}`);
      if (a.oldpath !== undefined) parts.push(`"${q(a.oldpath)}" → "${q(a.newpath ?? '')}"`);
      else if (a.target !== undefined) parts.push(`"${q(a.target)}"`);
      if (a.argv !== undefined) parts.push('[' + a.argv.map((s) => `"${q(s)}"`).join(', ') + (a.argv_truncated ? ', …' : '') + ']');
      if (a.addr !== undefined) parts.push(`${a.family ?? ''} ${a.addr}`.trim());
      if (parts.length === 0) return a.raw.slice(0, 3).join(', ');
      return parts.join(' ');
    }
    case 'process':
      if (r.event === 'fork') return `${r.thread ? 'thread' : 'child'} ${r.child_pid} (vpid ${r.child_vpid})`;
      if (r.event === 'exec') return `"${q(r.filename)}"`;
      return r.signal !== null ? `killed by ${r.signal}${r.core_dumped ? ' (core)' : ''}` : `exit code ${r.exit_code}${r.thread ? ' (thread)' : ''}`;
    case 'gap':
      return `LOST ${r.lost} record(s): seq ${r.seq_from}–${r.seq_to} (${r.reason})`;
    case 'throttle':
      return `THROTTLED ${r.suppressed} syscall record(s) over ${r.rate_limit}/s: ` +
        r.by_syscall.map((e) => `${e.syscall}×${e.count}`).concat(Number(r.other) > 0 ? [`other×${r.other}`] : []).join(', ');
    case 'drop':
      return `NOT RECEIVED ${r.dropped} record(s) (${r.reason})`;
    case 'exit':
      return `container exited: ${r.signal !== null ? `signal ${r.signal}` : `status ${r.status}`} — ${r.records} records, ${r.lost} lost`;
    case 'header':
      return `trace of ${r.container} started ${r.started}`;
  }
}

export function result(r: Row): string {
  if (r.type !== 'syscall') return '';
  return r.errno !== null ? `${r.ret} ${r.errno}` : String(r.ret);
}

export function stateLabel(s: { state: string; status: number | null; signal: string | null }): string {
  if (s.state === 'running') return 'running';
  if (s.state === 'exited') return s.signal !== null ? `exited (${s.signal})` : s.status !== null ? `exited ${s.status}` : 'exited';
  return 'incomplete';
}
