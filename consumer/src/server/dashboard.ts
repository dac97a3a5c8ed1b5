/**
 * runc-trace-consumer --listen: serves the built dashboard (build/ui), the HTTP API over --out DIR
 * and the live WebSocket. Every route needs the token (auth.ts); responses are no-store with a
 * strict CSP, so even a rendering bug cannot run injected script.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROTOCOL_VERSION, type ContainerSummary, type FilesResponse } from '../protocol.js';
import { CONSUMER_NAME } from '../version.js';
import { COOKIE, Gate, isLoopback, type ListenAddress } from './auth.js';
import { TraceDirectory } from './files.js';
import { RecordHub } from './hub.js';
import { ClientSession, type SessionLimits } from './session.js';
import { tapJsonlWriter } from './tap.js';

export interface DashboardOptions {
  listen: ListenAddress;
  /** allow a non-loopback bind (the token is still required) */
  anyAddress: boolean;
  token: string;
  outDir: string;
  /** directory of the built UI (index.html, assets/); default: build/ui */
  uiDir?: string;
  maxFramesPerSecond?: number;
  heartbeatMs?: number;
  limits?: Partial<SessionLimits>;
  backlog?: number;
  /** hub to use instead of tapping the JSONL writers (tests) */
  hub?: RecordHub;
  log?: (msg: string) => void;
}

export interface Dashboard {
  url: string;
  port: number;
  hub: RecordHub;
  /** Sends what is queued, a shutdown notice, then closes every connection and the listener. */
  close(reason?: string): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

function defaultUiDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // build/consumer/dist/server → build/ui; consumer/src/server (run from source) → build/ui
  return here.endsWith(path.join('dist', 'server')) ? path.resolve(here, '../../../ui') : path.resolve(here, '../../../build/ui');
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'", // 'self' covers ws: to the same host:port in current browsers
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function baseHeaders(res: http.ServerResponse): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function plain(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text + '\n');
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  if (!isLoopback(o.listen.host) && !o.anyAddress) {
    throw new Error(`refusing to listen on non-loopback address ${o.listen.host} without --listen-any-address`);
  }
  const log = o.log ?? (() => {});
  const uiDir = path.resolve(o.uiDir ?? defaultUiDir());
  const fps = o.maxFramesPerSecond ?? 20;
  const heartbeatMs = o.heartbeatMs ?? 5000;
  const limits: SessionLimits = { queueCap: 50_000, maxBatch: 5_000, maxBufferedBytes: 8 << 20, ...o.limits };
  // ~50 MB per 100 000 held records (measured): per live container, plus the 2 newest finished ones.
  const hub = o.hub ?? new RecordHub({ backlog: o.backlog ?? 100_000, keepFinished: 2 });
  const untap = o.hub === undefined ? tapJsonlWriter(hub) : () => {};
  const dir = new TraceDirectory(o.outDir);
  const gate = new Gate(o.token, isLoopback(o.listen.host));

  // The container list: recorded files, with live streams' numbers in place of the files' state.
  let filesCache: { at: number; list: ContainerSummary[] } = { at: -Infinity, list: [] };
  const containerList = (): ContainerSummary[] => {
    const now = performance.now();
    if (now - filesCache.at > 2000) filesCache = { at: now, list: dir.list() };
    const live = new Map(hub.streams().map((s) => [s.file, s]));
    const out: ContainerSummary[] = [];
    for (const f of filesCache.list) {
      const s = live.get(f.file);
      if (s !== undefined && path.dirname(s.path) === path.resolve(o.outDir)) {
        out.push({ ...s.summary(), bytes: f.bytes, started: s.started ?? f.started });
        live.delete(f.file);
      } else out.push(f);
    }
    for (const s of live.values()) out.push(s.summary()); // opened since the last listing
    return out.sort((a, b) => (b.started ?? '').localeCompare(a.started ?? '') || a.file.localeCompare(b.file));
  };
  hub.onClosed(() => (filesCache.at = -Infinity));

  const serveStatic = (res: http.ServerResponse, rel: string, viaQuery: boolean): void => {
    const file = path.resolve(uiDir, rel);
    if (!file.startsWith(uiDir + path.sep)) return plain(res, 404, 'not found');
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch {
      return plain(res, 404, rel === 'index.html' ? 'dashboard not built (ui/build.sh)' : 'not found');
    }
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' };
    if (rel === 'index.html') {
      headers['Content-Security-Policy'] = CSP;
      // The page's own scripts and styles authenticate with this cookie; it is never readable by
      // script and never sent cross-site.
      if (viaQuery) headers['Set-Cookie'] = `${COOKIE}=${encodeURIComponent(o.token)}; Path=/; HttpOnly; SameSite=Strict`;
    }
    res.writeHead(200, headers);
    res.end(data);
  };

  const server = http.createServer((req, res) => {
    baseHeaders(res);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      return plain(res, 400, 'bad request');
    }
    const v = gate.check(req, url, { requireOrigin: false });
    if (!v.ok) return plain(res, v.status, v.reason);
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed');
    const p = url.pathname;
    if (p === '/' || p === '/index.html') return serveStatic(res, 'index.html', v.viaQuery);
    if (p.startsWith('/assets/') && !p.includes('..')) return serveStatic(res, p.slice(1), false);
    if (p === '/api/files') {
      const body: FilesResponse = { files: containerList() };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end(JSON.stringify(body));
    }
    if (p.startsWith('/api/files/')) {
      let name: string;
      try {
        name = decodeURIComponent(p.slice('/api/files/'.length));
      } catch {
        return plain(res, 400, 'bad file name');
      }
      const file = dir.resolve(name);
      if (file === null) return plain(res, 404, 'no such trace file');
      res.writeHead(200, {
        'Content-Type': 'application/x-ndjson; charset=utf-8',
        'Content-Disposition': `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`,
      });
      if (req.method === 'HEAD') return void res.end();
      const rs = fs.createReadStream(file);
      rs.on('error', () => res.destroy());
      return void rs.pipe(res);
    }
    return plain(res, 404, 'not found');
  });

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });
  const sessions = new Map<WebSocket, ClientSession>();
  const alive = new WeakMap<WebSocket, boolean>();

  server.on('upgrade', (req, socket, head) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      url = new URL('http://x/');
    }
    const v = url.pathname === '/ws' ? gate.check(req, url, { requireOrigin: true }) : { ok: false as const, status: 404, reason: 'not found' };
    if (!v.ok) {
      socket.end(`HTTP/1.1 ${v.status} ${http.STATUS_CODES[v.status]}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${v.reason}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new ClientSession(ws, hub, limits);
      sessions.set(ws, session);
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return session.send({ type: 'error', message: 'binary messages are not accepted' });
        session.receive(data.toString());
      });
      ws.on('close', () => sessions.delete(ws));
      ws.on('error', () => ws.terminate());
      session.send({
        type: 'hello', v: PROTOCOL_VERSION, server: CONSUMER_NAME, heartbeat_ms: heartbeatMs,
        max_frames_per_s: fps, queue_cap: limits.queueCap,
      });
      session.pumpList(containerList);
    });
  });

  // One timer drives every client: a frame at most every 1000/fps ms; the list at most 4×/s.
  let frame = 0;
  const listEvery = Math.max(1, Math.round(fps / 4));
  const pumpAll = (withList: boolean): void => {
    for (const s of sessions.values()) {
      if (withList) s.pumpList(containerList);
      s.pump();
    }
  };
  const frameTimer = setInterval(() => pumpAll(++frame % listEvery === 0), Math.ceil(1000 / fps));
  const heartbeatTimer = setInterval(() => {
    for (const [ws, s] of sessions) {
      if (alive.get(ws) === false) {
        ws.terminate(); // no pong since the last heartbeat
        continue;
      }
      alive.set(ws, false);
      ws.ping();
      s.send({ type: 'heartbeat', ts: Date.now() });
    }
  }, heartbeatMs);
  frameTimer.unref?.();
  heartbeatTimer.unref?.();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.listen.port;
  const hostPart = o.listen.host.includes(':') ? `[${o.listen.host}]` : o.listen.host;
  const url = `http://${hostPart}:${port}/?token=${encodeURIComponent(o.token)}`;
  log(`dashboard on ${hostPart}:${port} (ui ${uiDir})`);

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    hub,
    close(reason = 'consumer stopping') {
      closing ??= (async () => {
        clearInterval(frameTimer);
        clearInterval(heartbeatTimer);
        for (let i = 0; i < 4; i++) pumpAll(true); // the last records, then the notice
        for (const [ws, s] of sessions) {
          s.send({ type: 'shutdown', reason, reconnect: false });
          ws.close(1001, 'server shutdown');
        }
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            for (const ws of sessions.keys()) ws.terminate();
            r();
          }, 1000);
          t.unref?.();
          wss.close(() => {
            clearTimeout(t);
            r();
          });
        });
        server.closeAllConnections?.();
        await new Promise<void>((r) => server.close(() => r()));
        untap();
      })();
      return closing;
    },
  };
}
