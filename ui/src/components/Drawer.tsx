/** Detail of one row: every field, decoded arguments, the raw registers, and the record as JSON. */
import type { Row } from '../dataset.js';
import { duration, summary } from '../format.js';
import { Txt } from '../text.js';

function raw(v: string): string {
  try {
    return `0x${BigInt(v).toString(16)}`;
  } catch {
    return v;
  }
}

function Field({ k, v }: { k: string; v: unknown }) {
  // Strings stay raw (quotes escaped) so <Txt> highlights their control characters.
  const str = (x: unknown) => (typeof x === 'string' ? `"${x.replace(/["\\]/g, '\\$&')}"` : JSON.stringify(x));
  const s = typeof v === 'string' ? v : Array.isArray(v) ? v.map(str).join(', ') : JSON.stringify(v);
  return <tr><th>{k}</th><td><Txt s={s ?? String(v)} /></td></tr>;
}

export function Drawer({ row, onClose }: { row: Row; onClose(): void }) {
  const common: [string, unknown][] = [];
  let decoded: [string, unknown][] = [];
  if (row.type === 'syscall' || row.type === 'process') {
    for (const k of ['seq', 'ts', 'container', 'phase', 'pid', 'tid', 'vpid', 'vtid', 'ppid', 'uid', 'gid', 'comm'] as const) common.push([k, row[k]]);
  }
  if (row.type === 'syscall') {
    decoded = Object.entries(row.args).filter(([k]) => k !== 'raw');
    common.push(['syscall', `${row.syscall} (nr ${row.nr})`], ['ret', row.ret], ['errno', row.errno], ['duration', duration(row.dur_ns)]);
  } else if (row.type === 'process') {
    decoded = Object.entries(row).filter(([k]) => !['seq', 'ts', 'container', 'phase', 'pid', 'tid', 'vpid', 'vtid', 'ppid', 'uid', 'gid', 'comm', 'type'].includes(k));
  } else {
    decoded = Object.entries(row).filter(([k]) => k !== 'type');
  }
  return (
    <aside className="drawer" aria-label="record detail" data-testid="drawer">
      <header>
        <h3>{row.type === 'syscall' ? row.syscall : row.type === 'process' ? `process ${row.event}` : row.type}</h3>
        <button onClick={onClose} aria-label="close detail (Esc)">✕</button>
      </header>
      <p className="drawer-sum"><Txt s={summary(row)} /></p>
      {common.length > 0 && <table className="kv"><tbody>{common.map(([k, v]) => <Field key={k} k={k} v={v} />)}</tbody></table>}
      {decoded.length > 0 && (
        <>
          <h4>{row.type === 'syscall' ? 'decoded arguments' : 'fields'}</h4>
          <table className="kv"><tbody>{decoded.map(([k, v]) => <Field key={k} k={k} v={v} />)}</tbody></table>
        </>
      )}
      {row.type === 'syscall' && (
        <>
          <h4>raw argument registers</h4>
          <table className="kv mono"><tbody>{row.args.raw.map((v, k) => <tr key={k}><th>arg{k}</th><td>{v} <span className="muted">{raw(v)}</span></td></tr>)}</tbody></table>
        </>
      )}
      <h4>record</h4>
      {/* JSON.stringify already escapes control characters inside strings; the line breaks are its own */}
      <pre className="json">{JSON.stringify(row, null, 2).split('\n').map((l, k) => <span key={k}><Txt s={l} />{'\n'}</span>)}</pre>
    </aside>
  );
}
