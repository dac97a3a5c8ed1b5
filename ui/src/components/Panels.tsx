/** Aggregate panels: per-syscall histogram, errors by errno, top files and endpoints, process tree. */
import type { Dataset, ProcNode, Tally } from '../dataset.js';
import { Txt } from '../text.js';

function top<T>(m: Map<string, T>, key: (v: T) => number, n: number): [string, T][] {
  return [...m.entries()].sort((a, b) => key(b[1]) - key(a[1]) || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

export function SyscallHistogram({ ds, onPick }: { ds: Dataset; onPick(name: string): void }) {
  const rows = top(ds.bySyscall, (v) => v.count, 40);
  const max = rows[0]?.[1].count ?? 1;
  return (
    <section className="panel" aria-label="syscalls by count">
      <h3>Syscalls <small>{ds.bySyscall.size} distinct</small></h3>
      <ol className="bars">
        {rows.map(([name, v]) => (
          <li key={name}>
            <button className="bar-row" onClick={() => onPick(name)} title={`filter: ${name}`}>
              <span className="bar-label">{name}</span>
              <span className="bar-track">
                <span className="bar" style={{ width: `${(v.count / max) * 100}%` }} />
                <span className="bar bar-bad" style={{ width: `${(v.failed / max) * 100}%` }} />
              </span>
              <span className="bar-num">{v.count}{v.failed > 0 ? ` (${v.failed} failed)` : ''}</span>
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}

function TallyTable({ title, m, onPick, empty }: { title: string; m: Map<string, Tally>; onPick(k: string): void; empty: string }) {
  const rows = top(m, (v) => v.count, 50);
  return (
    <section className="panel" aria-label={title}>
      <h3>{title} <small>{m.size}</small></h3>
      {rows.length === 0 ? <p className="muted">{empty}</p> : (
        <table className="tally">
          <thead><tr><th>count</th><th>failed</th><th>what</th><th>by</th></tr></thead>
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k}>
                <td className="num">{v.count}</td>
                <td className={v.failed > 0 ? 'num bad' : 'num'}>{v.failed || ''}</td>
                <td className="what"><button className="link" onClick={() => onPick(k)}><Txt s={k} /></button></td>
                <td className="by">{[...v.by.entries()].sort((a, b) => b[1] - a[1]).map(([s, c]) => `${s}×${c}`).join(' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function FilesAndNetwork({ ds, onText }: { ds: Dataset; onText(s: string): void }) {
  return (
    <div className="panels-2">
      <TallyTable title="Top files" m={ds.files} onPick={onText} empty="no path arguments seen" />
      <TallyTable title="Network endpoints" m={ds.endpoints} onPick={onText} empty="no socket addresses seen" />
    </div>
  );
}

export function ErrorsPanel({ ds, onErrno }: { ds: Dataset; onErrno(errno: string, syscalls: string[]): void }) {
  const rows = top(ds.byErrno, (v) => v.count, 100);
  return (
    <section className="panel" aria-label="errors by errno">
      <h3>Errors by errno <small>{ds.failed} failed syscalls</small></h3>
      {rows.length === 0 ? <p className="muted">no failed syscalls</p> : (
        <table className="tally">
          <thead><tr><th>count</th><th>errno</th><th>syscalls</th></tr></thead>
          <tbody>
            {rows.map(([errno, v]) => (
              <tr key={errno}>
                <td className="num bad">{v.count}</td>
                <td><button className="link" onClick={() => onErrno(errno, [...v.by.keys()])}>{errno}</button></td>
                <td className="by">{[...v.by.entries()].sort((a, b) => b[1] - a[1]).map(([s, c]) => `${s}×${c}`).join(' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ProcItem({ ds, n, depth, seen, onPid }: { ds: Dataset; n: ProcNode; depth: number; seen: Set<number>; onPid(pid: number): void }) {
  seen.add(n.pid);
  const exit = n.exit === null ? <span className="badge badge-run">running</span>
    : n.exit.signal !== null ? <span className="badge badge-bad">killed {n.exit.signal}</span>
    : <span className={n.exit.code === 0 ? 'badge badge-ok' : 'badge badge-bad'}>exit {n.exit.code}</span>;
  return (
    <li data-pid={n.pid}>
      <button className="proc" onClick={() => onPid(n.pid)} title="filter by this pid">
        <span className="proc-pid">{n.pid}{n.vpid !== null ? ` (${n.vpid})` : ''}</span>{' '}
        <Txt s={n.comm} className="proc-comm" />{' '}
        {n.execs.map((e, k) => <span key={k} className="proc-exec">→ exec <Txt s={e} /></span>)}
        {n.argv !== null && <span className="proc-argv"> [<Txt s={n.argv.join(' ')} />]</span>}{' '}
        {exit} <span className="muted">{n.syscalls} syscalls</span>
      </button>
      {n.children.length > 0 && (
        <ul>
          {n.children.filter((c) => !seen.has(c)).map((c) => {
            const child = ds.procs.get(c);
            return child === undefined ? null : <ProcItem key={c} ds={ds} n={child} depth={depth + 1} seen={seen} onPid={onPid} />;
          })}
        </ul>
      )}
    </li>
  );
}

export function ProcessTree({ ds, onPid }: { ds: Dataset; onPid(pid: number): void }) {
  const roots = [...ds.procs.values()].filter((n) => n.ppid === null || !ds.procs.has(n.ppid) || n.ppid === n.pid);
  const seen = new Set<number>();
  return (
    <section className="panel" aria-label="process tree">
      <h3>Process tree <small>{ds.procs.size} processes</small></h3>
      {roots.length === 0 ? <p className="muted">no processes yet</p> : (
        <ul className="tree" data-testid="process-tree">
          {roots.map((n) => <ProcItem key={n.pid} ds={ds} n={n} depth={0} seen={seen} onPid={onPid} />)}
        </ul>
      )}
    </section>
  );
}
