/**
 * The dashboard: container list on the left; the current trace (live stream, recorded file, or a
 * file from disk) with its filters, timeline, table and panels on the right; a detail drawer.
 * Keyboard: j/k ↑/↓ PgUp/PgDn Home/End move, Enter/Esc open/close detail, / search, space pause,
 * 1–5 tabs, [ ] previous/next container, e failed only, ? help.
 */
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { download, fetchFile, listFiles, takeToken, wsUrl } from './api.js';
import { ContainerList } from './components/ContainerList.js';
import { Drawer } from './components/Drawer.js';
import { ErrorsPanel, FilesAndNetwork, ProcessTree, SyscallHistogram } from './components/Panels.js';
import { RecordTable } from './components/RecordTable.js';
import { Timeline } from './components/Timeline.js';
import { Connection, type ConnState } from './conn.js';
import { Dataset, View } from './dataset.js';
import { parseJsonl, type BadLine } from './edge.js';
import { EMPTY_FILTER, isEmpty, type Filter } from './filter.js';
import { clockMs, stateLabel } from './format.js';
import { Txt } from './text.js';
import type { ContainerSummary, ServerMessage } from './types.js';

interface Trace {
  key: string;
  title: string;
  source: 'live' | 'file' | 'disk';
  ds: Dataset;
  stream: number | null;
  /** position in the live stream of the next record expected */
  next: number;
  bad: BadLine[];
  lines: number;
  progress: string | null;
  error: string | null;
  /** size of the file when it was loaded (a recorded file that grew is loaded again) */
  bytes: number | null;
}

const TABS = ['records', 'processes', 'files', 'syscalls', 'errors'] as const;
type Tab = (typeof TABS)[number];
const TAB_LABEL: Record<Tab, string> = { records: 'Records', processes: 'Process tree', files: 'Files & network', syscalls: 'Syscalls', errors: 'Errors' };

function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function App() {
  const [token] = useState(takeToken);
  const [conn, setConn] = useState<ConnState>({ kind: 'connecting' });
  const [containers, setContainers] = useState<ContainerSummary[]>([]);
  const [trace, setTrace] = useState<Trace | null>(null);
  const traceRef = useRef<Trace | null>(null);
  traceRef.current = trace;
  const [filter, setFilter] = useState<Filter>(EMPTY_FILTER);
  const deferredFilter = useDeferredValue(filter);
  const [tab, setTab] = useState<Tab>('records');
  const [selPos, setSelPos] = useState<number | null>(null);
  const [drawer, setDrawer] = useState(false);
  const [follow, setFollow] = useState(true);
  const [help, setHelp] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [invalid, setInvalid] = useState(0);
  const [, setFrame] = useState(0);
  const [panelTick, setPanelTick] = useState(0);
  const connRef = useRef<Connection | null>(null);
  const connKindRef = useRef<ConnState['kind']>('connecting');
  const searchRef = useRef<HTMLInputElement>(null);

  // Coalesce renders to one per animation frame, whatever the message rate.
  const rafPending = useRef(false);
  const requestRender = useCallback(() => {
    if (rafPending.current) return;
    rafPending.current = true;
    requestAnimationFrame(() => {
      rafPending.current = false;
      setFrame((f) => f + 1);
    });
  }, []);

  // Panels that walk every row (timeline, histograms) refresh at most 4× a second.
  useEffect(() => {
    let lastDs: Dataset | null = null;
    let last = -1;
    const t = setInterval(() => {
      const ds = traceRef.current?.ds ?? null;
      const v = ds?.version ?? -1;
      if (v !== last || ds !== lastDs) {
        last = v;
        lastDs = ds;
        setPanelTick((x) => x + 1);
      }
    }, 250);
    return () => clearInterval(t);
  }, []);

  const onMessage = useCallback((m: ServerMessage) => {
    const t = traceRef.current;
    switch (m.type) {
      case 'hello':
        setNotice(null);
        if (t !== null && t.source === 'live' && t.stream !== null) connRef.current?.send({ type: 'subscribe', stream: t.stream });
        break;
      case 'containers':
        setContainers(m.containers);
        break;
      case 'subscribed':
        if (t?.stream === m.stream && t.ds.rows.length === 0 && m.not_in_memory > 0) {
          t.ds.append([{ type: 'drop', dropped: m.not_in_memory, reason: 'not-in-memory' }]);
          t.next = m.not_in_memory;
        }
        break;
      case 'records':
        if (t?.stream === m.stream) {
          // After a reconnect the server resends from its backlog: skip what is already here.
          const skip = Math.max(0, t.next - m.from);
          if (m.from > t.next) t.ds.append([{ type: 'drop', dropped: m.from - t.next, reason: 'slow-client' }]);
          if (skip < m.records.length) t.ds.append(skip > 0 ? m.records.slice(skip) : m.records);
          t.next = Math.max(t.next, m.from + m.records.length);
          requestRender();
        }
        break;
      case 'resync':
        if (t?.stream === m.stream) {
          t.ds.append([{ type: 'drop', dropped: m.dropped, reason: m.reason }]);
          t.next = m.from;
          requestRender();
        }
        break;
      case 'shutdown':
        setNotice(`consumer shut down: ${m.reason}`);
        break;
      case 'error':
        setNotice(`server: ${m.message}`);
        break;
      case 'heartbeat':
        break;
    }
  }, [requestRender]);

  useEffect(() => {
    const c = new Connection(wsUrl(token), {
      message: onMessage,
      state: (s) => {
        connKindRef.current = s.kind;
        setConn(s);
      },
      invalid: () => setInvalid((n) => n + 1),
    });
    connRef.current = c;
    c.start();
    listFiles(token).then(setContainers, (e: Error) => setNotice(e.message));
    return () => c.stop();
  }, [token, onMessage]);

  const openTrace = useCallback((t: Trace) => {
    const prev = traceRef.current;
    if (prev?.stream != null && prev.stream !== t.stream) connRef.current?.send({ type: 'unsubscribe', stream: prev.stream });
    traceRef.current = t;
    setTrace(t);
    setSelPos(null);
    setDrawer(false);
    setFollow(true);
    setFilter(EMPTY_FILTER);
  }, []);

  const loadText = useCallback(async (t: Trace, text: () => Promise<string>) => {
    try {
      const parsed = await parseJsonl(await text(), {
        onProgress: (done, total) => {
          t.progress = `parsing ${done}/${total} lines`;
          requestRender();
        },
      });
      t.ds.append(parsed.records);
      t.bad = parsed.bad;
      t.lines = parsed.lines;
      t.progress = null;
    } catch (e) {
      t.error = (e as Error).message;
      t.progress = null;
    }
    setTrace({ ...t });
  }, [requestRender]);

  const open = useCallback((c: ContainerSummary) => {
    const cur = traceRef.current;
    // Already open: a live view stays live while running; a recorded file reloads only if it changed.
    if (cur !== null && cur.key === c.file && ((cur.source === 'live' && c.state === 'running') || (cur.source === 'file' && cur.progress === null && cur.bytes === c.bytes))) return;
    const base = { ds: new Dataset(), next: 0, bad: [], lines: 0, error: null, bytes: c.bytes };
    // The list comes over HTTP and may arrive before the socket is up: a container clicked while
    // the socket is still connecting is followed live too (the hello handler subscribes it).
    // Only a connection known to be down falls back to the recorded file.
    const c0 = connRef.current;
    if (c.state === 'running' && c.stream !== null && c0 !== null && (c0.open || connKindRef.current === 'connecting')) {
      const t: Trace = { ...base, key: c.file, title: c.container, source: 'live', stream: c.stream, progress: null };
      openTrace(t);
      if (c0.open) c0.send({ type: 'subscribe', stream: c.stream });
      return;
    }
    const t: Trace = { ...base, key: c.file, title: c.container, source: 'file', stream: null, progress: 'loading…' };
    openTrace(t);
    void loadText(t, () => fetchFile(c.file, token));
  }, [openTrace, loadText, token]);

  const loadFile = useCallback((f: File) => {
    const t: Trace = { key: `disk:${f.name}`, title: f.name, source: 'disk', ds: new Dataset(), stream: null, next: 0, bad: [], lines: 0, progress: 'reading…', error: null, bytes: null };
    openTrace(t);
    void loadText(t, () => f.text());
  }, [openTrace, loadText]);

  const ds = trace?.ds ?? null;
  const view = useMemo(() => (ds === null ? null : new View(ds, deferredFilter)), [ds, deferredFilter]);
  view?.update();
  const indices = view?.indices ?? [];
  const selRow = selPos !== null && ds !== null && selPos < indices.length ? ds.rows[indices[selPos]!]! : null;

  // Keep the selected row selected across filter changes.
  const lastSelRow = useRef<number | null>(null);
  useEffect(() => {
    if (lastSelRow.current === null || view === null) return;
    const p = lowerBound(view.indices, lastSelRow.current);
    setSelPos(p < view.indices.length ? p : null);
  }, [view]);
  useEffect(() => {
    lastSelRow.current = selPos !== null ? (indices[selPos] ?? null) : null;
  }, [selPos, indices]);

  const setF = (patch: Partial<Filter>) => setFilter((f) => ({ ...f, ...patch }));
  const togglePause = useCallback(() => {
    const d = traceRef.current?.ds;
    if (d === undefined) return;
    if (d.paused) d.resume();
    else d.pause();
    requestRender();
  }, [requestRender]);

  const jumpToRow = (row: number) => {
    if (view === null) return;
    const p = lowerBound(view.indices, row);
    setTab('records');
    setFollow(false);
    setSelPos(Math.min(p, view.indices.length - 1));
    setDrawer(true);
  };

  const exportAll = () => {
    if (trace === null || ds === null) return;
    if (trace.source === 'file') {
      void fetchFile(trace.key, token).then((text) => download(trace.key, [text.replace(/\n$/, '')]));
      return;
    }
    download(`${trace.title}.jsonl`, (function* () { for (const r of ds.traceRecords()) yield JSON.stringify(r); })());
  };
  const exportView = () => {
    if (trace === null || ds === null) return;
    download(`${trace.title}.filtered.jsonl`, (function* () { for (const r of ds.traceRecords(indices)) yield JSON.stringify(r); })());
  };

  // Keyboard navigation.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      const typing = target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA';
      if (e.key === 'Escape') {
        if (typing) target.blur();
        else if (help) setHelp(false);
        else if (drawer) setDrawer(false);
        else setSelPos(null);
        return;
      }
      if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
      const n = indices.length;
      const page = Math.max(1, Math.floor((document.querySelector('.tbody')?.clientHeight ?? 440) / 22) - 1);
      const move = (to: number) => {
        e.preventDefault();
        if (n === 0) return;
        const p = Math.max(0, Math.min(n - 1, to));
        setSelPos(p);
        setFollow(p === n - 1);
        setTab('records');
      };
      const cur = selPos ?? (follow ? n - 1 : 0);
      switch (e.key) {
        case 'j': case 'ArrowDown': return move(selPos === null ? cur : cur + 1);
        case 'k': case 'ArrowUp': return move(selPos === null ? cur : cur - 1);
        case 'PageDown': return move(cur + page);
        case 'PageUp': return move(cur - page);
        case 'Home': case 'g': return move(0);
        case 'End': case 'G': return move(n - 1);
        case 'Enter': if (selPos !== null) setDrawer(true); return;
        case '/': e.preventDefault(); searchRef.current?.focus(); return;
        case ' ': case 'p': e.preventDefault(); togglePause(); return;
        case 'e': setF({ failedOnly: !filter.failedOnly }); return;
        case '?': setHelp((h) => !h); return;
        case '[': case ']': {
          if (containers.length === 0) return;
          const i = containers.findIndex((c) => c.file === trace?.key);
          const j = e.key === ']' ? Math.min(containers.length - 1, i + 1) : Math.max(0, i < 0 ? 0 : i - 1);
          open(containers[j]!);
          (document.querySelector(`[data-file="${CSS.escape(containers[j]!.file)}"]`) as HTMLElement | null)?.focus();
          return;
        }
        default: {
          const k = Number(e.key);
          if (k >= 1 && k <= TABS.length) setTab(TABS[k - 1]!);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const summary = containers.find((c) => c.file === trace?.key && trace?.source !== 'disk');
  const connLabel = conn.kind === 'open' ? 'live' : conn.kind === 'connecting' ? 'connecting…' : `offline — ${conn.reason}; retry in ${Math.round(conn.retryInMs / 1000)}s`;

  return (
    <div className="app">
      <header className="top">
        <h1>runc-trace</h1>
        <span className={`conn conn-${conn.kind}`} data-testid="conn">{connLabel}</span>
        {notice !== null && <span className="notice" role="status">{notice}</span>}
        {invalid > 0 && <span className="notice bad" role="status">{invalid} invalid message(s) from the server ignored</span>}
        <button className="help-btn" onClick={() => setHelp((h) => !h)} aria-label="keyboard help">?</button>
      </header>
      <div className="body">
        <ContainerList containers={containers} current={trace?.key ?? null} onOpen={open} onLoadFile={loadFile} />
        <main className="main">
          {trace === null || ds === null ? (
            <p className="muted empty">Pick a container on the left, or load a JSONL file. Press ? for keys.</p>
          ) : (
            <>
              <div className="trace-head">
                <h2><Txt s={trace.title} /></h2>
                <span className="badge">{trace.source === 'live' ? 'live' : trace.source === 'file' ? 'recorded' : 'from disk'}</span>
                {summary !== undefined && <span className="badge" data-testid="trace-state">{stateLabel(summary)}</span>}
                {ds.exit !== null && <span className="badge" data-testid="trace-exit">exit: {ds.exit.signal ?? `status ${ds.exit.status}`}</span>}
                <span className="counts" data-testid="counts">
                  <b data-testid="count-records">{ds.records}</b> records · <span data-testid="count-shown">{indices.length}</span> rows shown
                  {ds.header !== null && <> · started {clockMs(Date.parse(ds.header.started.slice(0, 23) + 'Z'))}</>}
                </span>
                {trace.progress !== null && <span className="notice">{trace.progress}</span>}
                {trace.error !== null && <span className="notice bad">{trace.error}</span>}
              </div>
              {(ds.lost > 0 || ds.dropped > 0) && (
                <div className="loss-banner" role="alert" data-testid="loss-banner">
                  ⚠ {ds.lost > 0 && <>{ds.lost} record(s) LOST in the kernel ({ds.markers.filter((m) => m.kind === 'gap').length} gap(s)). </>}
                  {ds.dropped > 0 && <>{ds.dropped} record(s) NOT RECEIVED by this browser (open the recorded file for them). </>}
                  Markers on the timeline show where.
                </div>
              )}
              {trace.bad.length > 0 && (
                <details className="bad-lines" open data-testid="bad-lines">
                  <summary>{trace.bad.length} malformed line(s) of {trace.lines} skipped; the rest loaded</summary>
                  <ul>{trace.bad.slice(0, 200).map((b) => <li key={b.line}>line {b.line}: {b.error} — <code><Txt s={b.text} /></code></li>)}</ul>
                </details>
              )}
              <div className="filters" role="search">
                <input placeholder="syscall(s)" aria-label="syscall filter" value={filter.syscall} onChange={(e) => setF({ syscall: e.target.value })} data-testid="f-syscall" />
                <input placeholder="pid/tid" aria-label="pid or tid filter" value={filter.pid} onChange={(e) => setF({ pid: e.target.value })} size={8} data-testid="f-pid" />
                <select aria-label="phase" value={filter.phase} onChange={(e) => setF({ phase: e.target.value as Filter['phase'] })} data-testid="f-phase">
                  <option value="">any phase</option><option value="workload">workload</option><option value="runtime">runtime</option>
                </select>
                <label><input type="checkbox" checked={filter.failedOnly} onChange={(e) => setF({ failedOnly: e.target.checked })} data-testid="f-failed" /> failed only</label>
                <input ref={searchRef} placeholder="/ search paths, argv, addresses" aria-label="text filter" value={filter.text} onChange={(e) => setF({ text: e.target.value })} className="f-text" data-testid="f-text" />
                {filter.range !== null && <button onClick={() => setF({ range: null })}>range {clockMs(filter.range[0])}–{clockMs(filter.range[1])} ✕</button>}
                {!isEmpty(filter) && <button onClick={() => setFilter(EMPTY_FILTER)}>clear</button>}
                <span className="spacer-x" />
                <button onClick={togglePause} data-testid="pause" aria-pressed={ds.paused}>{ds.paused ? `▶ resume (${ds.pendingCount} waiting)` : '❚❚ pause'}</button>
                <button onClick={exportAll} data-testid="export-all">export all</button>
                <button onClick={exportView} data-testid="export-view">export view</button>
              </div>
              <Timeline ds={ds} version={panelTick} range={filter.range} onRange={(r) => setF({ range: r })} onJump={jumpToRow} />
              <div className="tabs" role="tablist">
                {TABS.map((t, i) => (
                  <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'tab tab-cur' : 'tab'} onClick={() => setTab(t)}>
                    {i + 1} {TAB_LABEL[t]}{t === 'errors' && ds.failed > 0 ? ` (${ds.failed})` : ''}
                  </button>
                ))}
              </div>
              <div className="tab-body">
                {tab === 'records' && (
                  <RecordTable ds={ds} indices={indices} version={ds.version} selected={selPos}
                    onSelect={(p) => { setSelPos(p); setDrawer(true); setFollow(false); }} follow={follow && selPos === null} onFollow={setFollow} />
                )}
                {tab === 'processes' && <ProcessTree ds={ds} onPid={(pid) => { setF({ pid: String(pid) }); setTab('records'); }} />}
                {tab === 'files' && <FilesAndNetwork ds={ds} onText={(s) => { setF({ text: s }); setTab('records'); }} />}
                {tab === 'syscalls' && <SyscallHistogram ds={ds} onPick={(s) => { setF({ syscall: s }); setTab('records'); }} />}
                {tab === 'errors' && <ErrorsPanel ds={ds} onErrno={(_errno, sc) => { setF({ failedOnly: true, syscall: sc.join(',') }); setTab('records'); }} />}
              </div>
            </>
          )}
        </main>
        {drawer && selRow !== null && <Drawer row={selRow} onClose={() => setDrawer(false)} />}
      </div>
      {help && (
        <div className="help" role="dialog" aria-label="keyboard help">
          <h3>Keys</h3>
          <dl>
            <dt>j k ↑ ↓</dt><dd>move selection</dd>
            <dt>PgUp PgDn Home End</dt><dd>page, first, last</dd>
            <dt>Enter / Esc</dt><dd>open / close detail</dd>
            <dt>/</dt><dd>search paths, argv, addresses</dd>
            <dt>space, p</dt><dd>pause / resume (nothing is lost)</dd>
            <dt>e</dt><dd>failed syscalls only</dd>
            <dt>1–5</dt><dd>tabs</dd>
            <dt>[ ]</dt><dd>previous / next container</dd>
          </dl>
          <button onClick={() => setHelp(false)}>close</button>
        </div>
      )}
    </div>
  );
}
