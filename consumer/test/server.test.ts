// The dashboard server: batching and the per-client queue cap (fake socket), the JSONL writer tap,
// and the HTTP/WebSocket edge over a real listener: token, Origin, Host, path traversal, shutdown.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ServerMessage, type ServerMessage as Msg } from '../src/protocol.js';
import type { TraceRecord } from '../src/schema.js';
import { parseListen, tokenMatches } from '../src/server/auth.js';
import { startDashboard, type Dashboard } from '../src/server/dashboard.js';
import { RecordHub } from '../src/server/hub.js';
import { ClientSession } from '../src/server/session.js';
import { tapJsonlWriter } from '../src/server/tap.js';
import { JsonlWriter } from '../src/writer.js';
import { examples } from './examples.js';

const sys = (seq: number): TraceRecord => ({ ...examples.syscall, seq, args: { ...examples.syscall.args, raw: [...examples.syscall.args.raw] } }) as TraceRecord;

class FakeSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: Msg[] = [];
  send(data: string): void {
    const m = ServerMessage.parse(JSON.parse(data)); // every message the server sends is valid protocol
    this.sent.push(m);
  }
  take<T extends Msg['type']>(type: T): Extract<Msg, { type: T }>[] {
    return this.sent.filter((m) => m.type === type) as Extract<Msg, { type: T }>[];
  }
}

describe('hub and session: batching, queue cap, resync', () => {
  const setup = (backlog = 1000, queueCap = 100, maxBatch = 40) => {
    const hub = new RecordHub({ backlog, keepFinished: 2 });
    const ws = new FakeSocket();
    const s = new ClientSession(ws as never, hub, { queueCap, maxBatch, maxBufferedBytes: 1 << 20 });
    hub.record('/o/web.jsonl', examples.header as TraceRecord);
    return { hub, ws, s };
  };

  it('sends the backlog and then new records in batches of at most maxBatch, one per pump', () => {
    const { hub, ws, s } = setup();
    for (let i = 0; i < 90; i++) hub.record('/o/web.jsonl', sys(i));
    s.receive(JSON.stringify({ type: 'subscribe', stream: 1 }));
    expect(ws.take('subscribed')[0]).toMatchObject({ stream: 1, file: 'web.jsonl', not_in_memory: 0 });
    s.pump();
    s.pump();
    s.pump();
    s.pump();
    const batches = ws.take('records');
    expect(batches.map((b) => b.records.length)).toEqual([40, 40, 11]);
    expect(batches.map((b) => b.from)).toEqual([0, 40, 80]);
    expect(batches[0]!.records[0]!.type).toBe('header');
    expect(hub.stream(1)!.records).toBe(90);
  });

  it('a client lagging more than queueCap loses the lag: counted, told with resync, memory bounded', () => {
    const { hub, ws, s } = setup(1000, 100, 50);
    s.receive(JSON.stringify({ type: 'subscribe', stream: 1 }));
    ws.bufferedAmount = 10 << 20; // congested: nothing is sent
    for (let i = 0; i < 150; i++) hub.record('/o/web.jsonl', sys(i));
    s.pump();
    expect(ws.take('records')).toHaveLength(0);
    const [r] = ws.take('resync');
    expect(r).toMatchObject({ stream: 1, dropped: 151, total_dropped: 151, reason: 'slow-client', from: 151 });
    ws.bufferedAmount = 0;
    hub.record('/o/web.jsonl', sys(150));
    s.pump();
    expect(ws.take('records')).toEqual([expect.objectContaining({ from: 151, records: [expect.objectContaining({ seq: 150 })] })]);
    expect(s.dropped).toBe(151);
  });

  it('records overwritten in the backlog before a client read them are a backlog-overrun resync', () => {
    const { hub, ws, s } = setup(10, 1000, 5);
    s.receive(JSON.stringify({ type: 'subscribe', stream: 1 }));
    for (let i = 0; i < 30; i++) hub.record('/o/web.jsonl', sys(i));
    s.pump();
    expect(ws.take('resync')[0]).toMatchObject({ reason: 'backlog-overrun', dropped: 21, from: 21 });
    expect(ws.take('records')[0]).toMatchObject({ from: 21 });
  });

  it('a late subscriber is told how many records are no longer in memory', () => {
    const { hub, ws, s } = setup(10);
    for (let i = 0; i < 30; i++) hub.record('/o/web.jsonl', sys(i));
    s.receive(JSON.stringify({ type: 'subscribe', stream: 1 }));
    expect(ws.take('subscribed')[0]!.not_in_memory).toBe(21);
  });

  it('rejects invalid client messages with an error message', () => {
    const { ws, s } = setup();
    s.receive('not json');
    s.receive(JSON.stringify({ type: 'subscribe', stream: -1 }));
    s.receive(JSON.stringify({ type: 'subscribe', stream: 99 }));
    expect(ws.take('error')).toHaveLength(3);
  });

  it('tracks state, counts and exit from the records', () => {
    const { hub } = setup();
    hub.record('/o/web.jsonl', sys(0));
    hub.record('/o/web.jsonl', examples.gap as TraceRecord);
    expect(hub.stream(1)!.summary()).toMatchObject({ state: 'running', records: 1, lost: 54, started: examples.header.started });
    hub.record('/o/web.jsonl', examples.exit as TraceRecord);
    hub.closed('/o/web.jsonl');
    expect(hub.stream(1)!.summary()).toMatchObject({ state: 'exited', status: 0, records: 1000, lost: 54 });
  });
});

describe('JSONL writer tap', () => {
  it('hands every written record (header to exit) to the subscriber and reports the close', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-tap-'));
    const hub = new RecordHub();
    const untap = tapJsonlWriter(hub);
    try {
      expect(() => tapJsonlWriter(hub)).toThrow(/already/);
      const w = JsonlWriter.open(dir, examples.header as never);
      w.write(sys(0));
      w.write(examples.exit as TraceRecord);
      w.close();
      const [s] = hub.streams();
      expect(s!.file).toBe('web.jsonl');
      expect(s!.backlog.head).toBe(3);
      expect(s!.state).toBe('exited');
    } finally {
      untap();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('auth helpers', () => {
  it('compares tokens in constant time and parses listen addresses', () => {
    expect(tokenMatches('abc', 'abc')).toBe(true);
    expect(tokenMatches('abd', 'abc')).toBe(false);
    expect(tokenMatches('', 'abc')).toBe(false);
    expect(parseListen('127.0.0.1:7070')).toEqual({ host: '127.0.0.1', port: 7070 });
    expect(parseListen('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseListen('127.0.0.1')).toBeNull();
    expect(parseListen('x:99999')).toBeNull();
  });

  it('refuses a non-loopback bind without --listen-any-address', async () => {
    await expect(startDashboard({ listen: { host: '0.0.0.0', port: 0 }, anyAddress: false, token: 't'.repeat(20), outDir: '/nonexistent', hub: new RecordHub() }))
      .rejects.toThrow(/non-loopback/);
  });
});

describe('HTTP and WebSocket edge', () => {
  const TOKEN = 'correct-horse-battery-staple';
  let root = '';
  let d: Dashboard;
  let hub: RecordHub;
  let origin = '';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'rt-dash-'));
    const out = join(root, 'out');
    const ui = join(root, 'ui');
    mkdirSync(out);
    mkdirSync(join(ui, 'assets'), { recursive: true });
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(root, 'secret.jsonl'), 'secret\n');
    writeFileSync(join(out, 'web.jsonl'), [examples.header, examples.syscall, examples.exit].map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(join(out, 'notes.txt'), 'x');
    symlinkSync(join(root, 'secret.jsonl'), join(out, 'link.jsonl'));
    hub = new RecordHub();
    d = await startDashboard({ listen: { host: '127.0.0.1', port: 0 }, anyAddress: false, token: TOKEN, outDir: out, uiDir: ui, hub, heartbeatMs: 200 });
    origin = `http://127.0.0.1:${d.port}`;
  });
  afterAll(async () => {
    await d?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: d.port, path, headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      });
      req.on('error', reject);
    });

  it('prints a URL with the token', () => {
    expect(d.url).toBe(`${origin}/?token=${TOKEN}`);
  });

  it('page, assets and API need the token: none → 401, wrong → 403', async () => {
    for (const p of ['/', '/assets/app.js', '/api/files', '/api/files/web.jsonl']) {
      expect((await get(p)).status, p).toBe(401);
      expect((await get(p + (p.includes('?') ? '&' : '?') + 'token=wrong')).status, p).toBe(403);
      expect((await get(p, { Authorization: 'Bearer wrong' })).status, p).toBe(403);
    }
  });

  it('serves the page with the token, sets an HttpOnly SameSite cookie, CSP and no-store', async () => {
    const r = await get(`/?token=${TOKEN}`);
    expect(r.status).toBe(200);
    expect(r.headers['set-cookie']?.[0]).toMatch(/^runc_trace_token=.*HttpOnly; SameSite=Strict/);
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect(r.headers['cache-control']).toBe('no-store');
    const cookie = r.headers['set-cookie']![0]!.split(';')[0]!;
    expect((await get('/assets/app.js', { Cookie: cookie })).status).toBe(200);
    expect((await get('/api/files', { Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it('refuses a foreign Origin (403) and a non-loopback Host (421) even with the token', async () => {
    expect((await get(`/api/files?token=${TOKEN}`, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(`/api/files?token=${TOKEN}`, { Host: `evil.example:${d.port}` })).status).toBe(421);
    expect((await get(`/api/files?token=${TOKEN}`, { Origin: origin })).status).toBe(200);
  });

  it('lists the recorded files and serves only names from the listing (no traversal)', async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const list = JSON.parse((await get('/api/files', auth)).body);
    expect(list.files.map((f: { file: string }) => f.file)).toEqual(['web.jsonl']);
    expect(list.files[0]).toMatchObject({ state: 'exited', status: 0, records: 1000, lost: 54 });
    expect((await get('/api/files/web.jsonl', auth)).body.split('\n')[0]).toContain('"header"');
    for (const bad of ['../secret.jsonl', '..%2Fsecret.jsonl', '%2e%2e%2fsecret.jsonl', '..%5csecret.jsonl', 'link.jsonl',
      'notes.txt', '%2Fetc%2Fpasswd', '.', '..', 'web.jsonl%00', 'web.jsonl%2F..%2F..%2Fsecret.jsonl', '%E0%A4%A']) {
      const r = await get(`/api/files/${bad}`, auth);
      expect([400, 404], bad).toContain(r.status);
      expect(r.body).not.toContain('secret');
    }
    expect((await get('/assets/../../secret.jsonl', auth)).status).toBe(404);
    expect((await get('/assets/%2e%2e/%2e%2e/secret.jsonl', auth)).status).toBe(404);
  });

  const connect = (query: string, headers: Record<string, string>) =>
    new Promise<{ ws: WebSocket; messages: Msg[] } | { status: number }>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${d.port}/ws${query}`, { headers, perMessageDeflate: false });
      const messages: Msg[] = [];
      ws.on('message', (data) => messages.push(ServerMessage.parse(JSON.parse(String(data)))));
      ws.on('open', () => resolve({ ws, messages }));
      ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode! }));
      ws.on('error', () => resolve({ status: -1 }));
    });

  it('WebSocket: no token 401, wrong token 403, foreign or missing Origin 403', async () => {
    expect(await connect('', { Origin: origin })).toEqual({ status: 401 });
    expect(await connect('?token=nope', { Origin: origin })).toEqual({ status: 403 });
    expect(await connect(`?token=${TOKEN}`, { Origin: 'http://evil.example' })).toEqual({ status: 403 });
    expect(await connect(`?token=${TOKEN}`, {})).toEqual({ status: 403 });
    expect(await connect(`?token=${TOKEN}`, { Origin: origin, Host: `evil.example:${d.port}` })).toEqual({ status: 421 });
  });

  it('WebSocket: hello, container list, live records, heartbeat; no per-message deflate', async () => {
    const c = await connect(`?token=${TOKEN}`, { Origin: origin });
    if (!('ws' in c)) throw new Error(`refused: ${c.status}`);
    expect(c.ws.extensions).toBe('');
    hub.record('/live/box.jsonl', { ...examples.header, container: 'box' } as TraceRecord);
    const id = hub.streams().find((s) => s.container === 'box')!.id;
    c.ws.send(JSON.stringify({ type: 'subscribe', stream: id }));
    for (let i = 0; i < 5; i++) hub.record('/live/box.jsonl', { ...sys(i), container: 'box' });
    await new Promise((r) => setTimeout(r, 450));
    const types = c.messages.map((m) => m.type);
    expect(types[0]).toBe('hello');
    expect(types).toContain('containers');
    expect(types).toContain('heartbeat');
    const recs = c.messages.filter((m) => m.type === 'records').flatMap((m) => (m.type === 'records' ? m.records : []));
    expect(recs.map((r) => r.type)).toEqual(['header', 'syscall', 'syscall', 'syscall', 'syscall', 'syscall']);
    const list = c.messages.filter((m) => m.type === 'containers').at(-1);
    expect(list?.type === 'containers' && list.containers.some((x) => x.container === 'box' && x.state === 'running')).toBe(true);
    c.ws.close();
  });

  it('WebSocket: malformed and binary messages get an error and the session goes on; an oversized one closes it (1009)', async () => {
    const c = await connect(`?token=${TOKEN}`, { Origin: origin });
    if (!('ws' in c)) throw new Error(`refused: ${c.status}`);
    c.ws.send('{"type":"subscribe",');
    c.ws.send(JSON.stringify({ type: 'subscribe', stream: 'x'.repeat(100) }));
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    c.ws.send(JSON.stringify({ type: 'nope' }));
    await new Promise((r) => setTimeout(r, 150));
    expect(c.messages.filter((m) => m.type === 'error')).toHaveLength(4);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    // 64 KiB is the server's maxPayload: a bigger message is not buffered, the socket is closed.
    const closed = new Promise<number>((r) => c.ws.on('close', (code) => r(code)));
    c.ws.send('x'.repeat(64 * 1024 + 1));
    expect(await closed).toBe(1009);
    // The server itself is unharmed: a new session works.
    const again = await connect(`?token=${TOKEN}`, { Origin: origin });
    if (!('ws' in again)) throw new Error(`refused after an oversized message: ${again.status}`);
    again.ws.close();
  });

  it('sends a shutdown notice before closing', async () => {
    const c = await connect(`?token=${TOKEN}`, { Origin: origin });
    if (!('ws' in c)) throw new Error('refused');
    const closed = new Promise<number>((r) => c.ws.on('close', (code) => r(code)));
    await d.close('test over');
    expect(await closed).toBe(1001);
    expect(c.messages.at(-1)).toEqual({ type: 'shutdown', reason: 'test over', reconnect: false });
  });
});
