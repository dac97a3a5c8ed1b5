/**
 * A windowed table: only the rows in view (plus a little overscan) exist in the DOM, so a trace of
 * hundreds of thousands of rows scrolls like a short one. Rows have one fixed height.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { Dataset } from '../dataset.js';
import { clock, duration, result, summary } from '../format.js';
import { eventName } from '../filter.js';
import { Txt } from '../text.js';

export const ROW_H = 22;
const OVERSCAN = 12;

export interface RecordTableProps {
  ds: Dataset;
  indices: readonly number[];
  version: number;
  selected: number | null;
  onSelect(pos: number): void;
  follow: boolean;
  onFollow(f: boolean): void;
}

export function RecordTable({ ds, indices, version, selected, onSelect, follow, onFollow }: RecordTableProps) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(480);
  const n = indices.length;

  useLayoutEffect(() => {
    const el = ref.current;
    if (el === null) return;
    setHeight(el.clientHeight || 480);
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 480));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Follow the tail while live (and the user has not scrolled up). The window is computed from
  // the tail, not read back from the element: one render and one layout per frame, not two.
  useLayoutEffect(() => {
    const el = ref.current;
    if (el !== null && follow) el.scrollTop = n * ROW_H;
  }, [n, follow, version]);

  // Keep the keyboard selection in view.
  useEffect(() => {
    const el = ref.current;
    if (el === null || selected === null) return;
    const top = selected * ROW_H;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_H > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_H - el.clientHeight;
  }, [selected]);

  const top = follow ? Math.max(0, n * ROW_H - height) : scrollTop;
  const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
  const last = Math.min(n, Math.ceil((top + height) / ROW_H) + OVERSCAN);
  // Keys are slots (position modulo the window size), so a row element is reused with new content
  // as the window moves instead of being destroyed and created again.
  const slots = Math.ceil(height / ROW_H) + 2 * OVERSCAN + 2;
  const rows = [];
  for (let pos = first; pos < last; pos++) {
    const i = indices[pos]!;
    const r = ds.rows[i]!;
    let cls = 'tr';
    if (r.type === 'gap') cls += ' tr-gap';
    else if (r.type === 'drop') cls += ' tr-drop';
    else if (r.type === 'exit') cls += ' tr-exit';
    else if (r.type === 'process') cls += ' tr-proc';
    else if (r.type === 'syscall' && r.errno !== null) cls += ' tr-failed';
    if (pos === selected) cls += ' tr-sel';
    const task = r.type === 'syscall' || r.type === 'process' ? r : null;
    rows.push(
      <div key={pos % slots} className={cls} style={{ transform: `translateY(${pos * ROW_H}px)` }} role="row"
        aria-selected={pos === selected} data-row={i} onClick={() => onSelect(pos)}>
        <span className="c-seq">{task !== null ? String(task.seq) : ''}</span>
        <span className="c-ts">{task !== null ? clock(task.ts) : ''}</span>
        <span className="c-phase">{task?.phase === 'runtime' ? 'rt' : task !== null ? 'wl' : ''}</span>
        <span className="c-pid">{task !== null ? (task.pid === task.tid ? String(task.pid) : `${task.pid}/${task.tid}`) : ''}</span>
        <span className="c-comm"><Txt s={task?.comm ?? ''} /></span>
        <span className="c-ev">{r.type === 'syscall' || r.type === 'process' ? eventName(r) : r.type.toUpperCase()}</span>
        <span className="c-sum"><Txt s={summary(r)} /></span>
        <span className="c-ret">{result(r)}</span>
        <span className="c-dur">{r.type === 'syscall' ? duration(r.dur_ns) : ''}</span>
      </div>,
    );
  }

  return (
    <div className="table" role="grid" aria-rowcount={n}>
      <div className="thead" role="row">
        <span className="c-seq">seq</span>
        <span className="c-ts">time (UTC)</span>
        <span className="c-phase">ph</span>
        <span className="c-pid">pid/tid</span>
        <span className="c-comm">comm</span>
        <span className="c-ev">event</span>
        <span className="c-sum">arguments</span>
        <span className="c-ret">result</span>
        <span className="c-dur">dur</span>
      </div>
      <div className="tbody" ref={ref} data-testid="table-body"
        onScroll={(e) => {
          const el = e.currentTarget;
          const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_H;
          // While following at the bottom the window comes from the tail (above), not from here.
          if (!(follow && atBottom)) setScrollTop(el.scrollTop);
          if (atBottom !== follow) onFollow(atBottom);
        }}>
        <div className="spacer" style={{ height: n * ROW_H }}>{rows}</div>
      </div>
    </div>
  );
}
