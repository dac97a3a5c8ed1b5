/** Live and recorded traces of --out DIR, plus loading a JSONL file from this computer. */
import type { ContainerSummary } from '../types.js';
import { stateLabel } from '../format.js';
import { Txt } from '../text.js';

export interface ContainerListProps {
  containers: readonly ContainerSummary[];
  current: string | null;
  onOpen(c: ContainerSummary): void;
  onLoadFile(f: File): void;
}

export function ContainerList({ containers, current, onOpen, onLoadFile }: ContainerListProps) {
  return (
    <nav className="containers" aria-label="containers">
      <h2>Containers</h2>
      {containers.length === 0 && <p className="muted">no traces in the output directory yet</p>}
      <ul>
        {containers.map((c) => (
          <li key={c.file}>
            <button className={`ct ${current === c.file ? 'ct-cur' : ''}`} aria-current={current === c.file} data-file={c.file}
              data-state={c.state} onClick={() => onOpen(c)}>
              <span className="ct-name"><Txt s={c.container} /></span>
              <span className={`badge badge-${c.state === 'running' ? 'run' : c.state === 'exited' && c.status === 0 ? 'ok' : 'bad'}`}
                data-testid="ct-state">{stateLabel(c)}</span>
              <span className="ct-file"><Txt s={c.file} /></span>
              <span className="ct-counts">
                {c.records ?? '?'} records{c.lost !== null && c.lost > 0 ? <b className="bad"> · {c.lost} lost</b> : c.lost === null ? ' · ? lost' : ' · 0 lost'}
              </span>
            </button>
          </li>
        ))}
      </ul>
      <label className="load">
        Replay a JSONL file from disk
        <input type="file" accept=".jsonl,.ndjson,.json,.txt,application/x-ndjson" data-testid="load-file"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f !== undefined) onLoadFile(f);
            e.currentTarget.value = '';
          }} />
      </label>
    </nav>
  );
}
