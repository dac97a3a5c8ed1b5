/**
 * The live feed, run off the page's main thread in a Web Worker (feed.worker.ts): the WebSocket to
 * the consumer, JSON.parse and zod validation of every message (edge.ts, the same schema as ever),
 * the heartbeat watchdog and reconnects with backoff.
 *
 * What reaches the page is validated content only: small messages as the objects zod returned,
 * record batches as one JSON text re-serialized from zod's output (so the page parses only what
 * the worker produced, never a byte of the socket). Batches are coalesced: consecutive contiguous
 * `records` messages of a stream merge, and at most one post is in flight — the page acknowledges
 * it on its next animation frame, so it gets at most one batch per frame whatever the input rate.
 * If the page falls more than MAX_QUEUED records behind (a hidden tab gets no frames), the queued
 * records are dropped and reported as a `resync` (slow-client), like the server does: counted and
 * shown, memory bounded.
 */
import { parseServerMessage } from './edge.js';
import type { ClientMessage, ServerMessage, TraceRecord } from './types.js';

export type ConnState =
  | { kind: 'connecting' }
  | { kind: 'open'; server: string }
  | { kind: 'closed'; reason: string; retryInMs: number };

/** page → worker */
export type FeedCommand =
  | { type: 'start'; url: string }
  | { type: 'stop' }
  | { type: 'send'; msg: ClientMessage }
  | { type: 'ack' };

/** A record batch as the page receives it: validated records as one JSON array text. */
export interface RecordsText {
  type: 'records';
  stream: number;
  from: number;
  count: number;
  json: string;
}

export type FeedMessage = Exclude<ServerMessage, { type: 'records' | 'heartbeat' }> | RecordsText;

/** worker → page */
export type FeedEvent =
  | { type: 'state'; state: ConnState }
  | { type: 'socket'; open: boolean }
  | { type: 'invalid'; error: string }
  | { type: 'messages'; messages: FeedMessage[] };

type Queued = Exclude<ServerMessage, { type: 'records' | 'heartbeat' }> | { type: 'records'; stream: number; from: number; records: TraceRecord[] };

/** Records per post to the page (a page that was stalled catches up in pieces of this size). */
export const MAX_POST = 10_000;
/** Records the page may lag behind the socket before they are dropped (and reported). */
export const MAX_QUEUED = 200_000;

/** The part of a WebSocket the feed uses (tests pass a fake). */
export interface FeedSocket {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;

export class Feed {
  private ws: FeedSocket | null = null;
  private url = '';
  private heartbeatMs = 5000;
  private lastMessage = 0;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private backoff = 500;
  private stopped = true;
  private shutdownReason: string | null = null;
  private queue: Queued[] = [];
  private queued = 0;
  private inflight = false;
  /** records this feed dropped because the page lagged (reported in resync.total_dropped) */
  shed = 0;

  constructor(
    private readonly post: (e: FeedEvent) => void,
    private readonly socket: (url: string) => FeedSocket = (url) => new WebSocket(url) as unknown as FeedSocket,
  ) {}

  command(c: FeedCommand): void {
    switch (c.type) {
      case 'start':
        this.url = c.url;
        this.stopped = false;
        this.connect();
        return;
      case 'stop':
        this.stopped = true;
        if (this.retry !== null) clearTimeout(this.retry);
        if (this.watchdog !== null) clearInterval(this.watchdog);
        this.ws?.close();
        this.ws = null;
        return;
      case 'send':
        if (this.ws?.readyState === OPEN) this.ws.send(JSON.stringify(c.msg));
        return;
      case 'ack':
        this.inflight = false;
        this.flush();
        return;
    }
  }

  /** One text frame from the server: validated here, queued for the page. */
  receive(data: unknown): void {
    this.lastMessage = Date.now();
    if (typeof data !== 'string') {
      this.post({ type: 'invalid', error: 'binary message' });
      return;
    }
    const p = parseServerMessage(data);
    if (!p.ok) {
      this.post({ type: 'invalid', error: p.error });
      return;
    }
    const m = p.value;
    switch (m.type) {
      case 'heartbeat':
        return; // the watchdog is here; the page has no use for it
      case 'hello':
        this.heartbeatMs = m.heartbeat_ms;
        this.post({ type: 'state', state: { kind: 'open', server: m.server } });
        break;
      case 'shutdown':
        this.shutdownReason = m.reason;
        break;
    }
    if (m.type === 'records') {
      if (m.records.length === 0) return;
      const last = this.queue[this.queue.length - 1];
      if (last?.type === 'records' && last.stream === m.stream && last.from + last.records.length === m.from) {
        for (const r of m.records) last.records.push(r);
      } else {
        this.queue.push({ type: 'records', stream: m.stream, from: m.from, records: m.records });
      }
      this.queued += m.records.length;
      if (this.queued > MAX_QUEUED) this.shedQueued();
    } else {
      this.queue.push(m);
    }
    this.flush();
  }

  /** The page lags too far: drop every queued record batch, tell it with one resync per stream. */
  private shedQueued(): void {
    const lost = new Map<number, { dropped: number; end: number }>();
    this.queue = this.queue.filter((q) => {
      if (q.type !== 'records') return true;
      const l = lost.get(q.stream) ?? { dropped: 0, end: 0 };
      l.dropped += q.records.length;
      l.end = Math.max(l.end, q.from + q.records.length);
      lost.set(q.stream, l);
      return false;
    });
    for (const [stream, l] of lost) {
      this.shed += l.dropped;
      this.queue.push({ type: 'resync', stream, dropped: l.dropped, total_dropped: this.shed, reason: 'slow-client', from: l.end });
    }
    this.queued = 0;
  }

  /** Posts what is queued (up to MAX_POST records) unless the page has not acknowledged the last post. */
  private flush(): void {
    if (this.inflight || this.queue.length === 0) return;
    const out: FeedMessage[] = [];
    let budget = MAX_POST;
    while (this.queue.length > 0 && budget > 0) {
      const q = this.queue[0]!;
      if (q.type !== 'records') {
        out.push(q);
        this.queue.shift();
        continue;
      }
      let part = q.records;
      if (part.length > budget) {
        part = q.records.slice(0, budget);
        this.queue[0] = { ...q, from: q.from + budget, records: q.records.slice(budget) };
      } else {
        this.queue.shift();
      }
      out.push({ type: 'records', stream: q.stream, from: q.from, count: part.length, json: JSON.stringify(part) });
      budget -= part.length;
      this.queued -= part.length;
    }
    this.inflight = true;
    this.post({ type: 'messages', messages: out });
  }

  private connect(): void {
    this.post({ type: 'state', state: { kind: 'connecting' } });
    const ws = this.socket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.lastMessage = Date.now();
      this.backoff = 500;
      this.shutdownReason = null;
      this.post({ type: 'socket', open: true });
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) this.receive(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.post({ type: 'socket', open: false });
      if (this.watchdog !== null) clearInterval(this.watchdog);
      if (this.stopped) return;
      const wait = this.backoff;
      this.backoff = Math.min(this.backoff * 2, 10_000);
      const reason = this.shutdownReason !== null ? `server shut down: ${this.shutdownReason}` : `connection closed (${ev.code})`;
      this.post({ type: 'state', state: { kind: 'closed', reason, retryInMs: wait } });
      this.retry = setTimeout(() => this.connect(), wait);
    };
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.watchdog = setInterval(() => {
      // Three missed heartbeats: the server or the path to it is gone even if TCP has not noticed.
      if (ws.readyState === OPEN && Date.now() - this.lastMessage > 3 * this.heartbeatMs) ws.close(4000, 'heartbeat timeout');
    }, 1000);
  }
}
