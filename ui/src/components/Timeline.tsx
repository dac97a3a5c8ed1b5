/**
 * Syscall rate over time on a plain canvas, failed syscalls in red, and every gap (records lost in
 * the kernel) and drop (records this browser did not receive) as a full-height marker at the
 * place it happened, with a chip per marker below — a hole in the trace can not go unseen.
 * Drag to select a time range (filters the table and the export); double-click clears it.
 */
import { useEffect, useRef, useState } from 'react';
import type { Dataset, Marker } from '../dataset.js';
import { clockMs } from '../format.js';

export interface TimelineProps {
  ds: Dataset;
  version: number;
  range: [number, number] | null;
  onRange(r: [number, number] | null): void;
  onJump(row: number): void;
}

const H = 110;

export function Timeline({ ds, version, range, onRange, onJump }: TimelineProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(800);
  const drag = useRef<{ x0: number; x1: number } | null>(null);
  const [dragTick, force] = useState(0);

  useEffect(() => {
    const el = canvas.current?.parentElement;
    if (el == null || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setWidth(Math.max(200, el.clientWidth)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const t0 = ds.firstTime;
  const t1 = ds.lastTime > t0 ? ds.lastTime : t0 + 1;
  const xOf = (t: number) => ((t - t0) / (t1 - t0)) * (width - 1);
  const tOf = (x: number) => t0 + (x / (width - 1)) * (t1 - t0);

  useEffect(() => {
    const c = canvas.current;
    const g = c?.getContext('2d');
    if (c == null || g == null) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = width * dpr;
    c.height = H * dpr;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, H);
    if (!Number.isFinite(t0)) {
      g.fillStyle = '#778';
      g.font = '12px sans-serif';
      g.fillText('no records yet', 8, H / 2);
      return;
    }
    const nb = Math.max(1, Math.floor(width / 3));
    const all = new Float64Array(nb);
    const bad = new Float64Array(nb);
    const rows = ds.rows;
    const times = ds.times;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      if (r.type !== 'syscall' && r.type !== 'process') continue;
      const b = Math.min(nb - 1, Math.floor(((times[i]! - t0) / (t1 - t0)) * nb));
      all[b]!++;
      if (r.type === 'syscall' && r.errno !== null) bad[b]!++;
    }
    let max = 1;
    for (const v of all) if (v > max) max = v;
    const binSec = (t1 - t0) / 1000 / nb;
    const bw = width / nb;
    const plotH = H - 16;
    if (range !== null) {
      g.fillStyle = 'rgba(90,140,255,0.18)';
      g.fillRect(xOf(range[0]), 0, Math.max(2, xOf(range[1]) - xOf(range[0])), plotH);
    }
    g.fillStyle = '#4a8fe7';
    for (let b = 0; b < nb; b++) if (all[b]! > 0) g.fillRect(b * bw, plotH - (all[b]! / max) * plotH, Math.max(1, bw - 0.5), (all[b]! / max) * plotH);
    g.fillStyle = '#e5484d';
    for (let b = 0; b < nb; b++) if (bad[b]! > 0) g.fillRect(b * bw, plotH - (bad[b]! / max) * plotH, Math.max(1, bw - 0.5), (bad[b]! / max) * plotH);
    for (const m of ds.markers) drawMarker(g, m, xOf(m.time), plotH);
    g.fillStyle = '#9aa3b2';
    g.font = '11px sans-serif';
    g.fillText(`${(max / binSec).toFixed(0)}/s peak`, 4, 11);
    g.fillText(clockMs(t0), 4, H - 3);
    const endLabel = `${clockMs(t1)} (${((t1 - t0) / 1000).toFixed(3)} s)`;
    g.fillText(endLabel, width - g.measureText(endLabel).width - 4, H - 3);
    if (drag.current !== null) {
      g.fillStyle = 'rgba(255,255,255,0.15)';
      const a = Math.min(drag.current.x0, drag.current.x1);
      g.fillRect(a, 0, Math.abs(drag.current.x1 - drag.current.x0), plotH);
    }
  }, [ds, version, width, range, dragTick]); // version is the throttled panel tick: O(rows) per draw

  const px = (e: React.MouseEvent) => e.clientX - (e.currentTarget as HTMLElement).getBoundingClientRect().left;
  const markers = ds.markers;
  return (
    <div className="timeline" data-version={version}>
      <canvas ref={canvas} style={{ width, height: H }} data-testid="timeline"
        aria-label={`syscall rate over time; ${markers.length} gap/drop marker(s)`}
        onMouseDown={(e) => { drag.current = { x0: px(e), x1: px(e) }; force((x) => x + 1); }}
        onMouseMove={(e) => { if (drag.current !== null) { drag.current.x1 = px(e); force((x) => x + 1); } }}
        onMouseUp={() => {
          const d = drag.current;
          drag.current = null;
          if (d !== null && Math.abs(d.x1 - d.x0) > 3) onRange([tOf(Math.min(d.x0, d.x1)), tOf(Math.max(d.x0, d.x1))]);
          force((x) => x + 1);
        }}
        onDoubleClick={() => onRange(null)} />
      {markers.length > 0 && (
        <div className="markers" role="list" aria-label="gaps and drops">
          {markers.slice(0, 50).map((m, k) => (
            <button key={k} role="listitem" className={`marker marker-${m.kind}`} onClick={() => onJump(m.row)}>
              {m.kind === 'gap' ? '▼ gap' : '▼ drop'} at {clockMs(m.time)}: {m.label}
            </button>
          ))}
          {markers.length > 50 && <span className="marker">… and {markers.length - 50} more</span>}
        </div>
      )}
    </div>
  );
}

function drawMarker(g: CanvasRenderingContext2D, m: Marker, x: number, h: number): void {
  g.fillStyle = m.kind === 'gap' ? '#ff3b30' : '#ff9f0a';
  g.fillRect(Math.round(x) - 1, 0, 3, h);
  g.beginPath();
  g.moveTo(x - 6, 0);
  g.lineTo(x + 6, 0);
  g.lineTo(x, 9);
  g.fill();
}
