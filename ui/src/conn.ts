/**
 * The WebSocket to the consumer: connects with the token, validates every message at the edge,
 * watches the heartbeat, reconnects with backoff, and reports a shutdown notice as such.
 */
import { parseServerMessage } from './edge.js';
import type { ClientMessage, ServerMessage } from './types.js';

export type ConnState =
  | { kind: 'connecting' }
  | { kind: 'open'; server: string }
  | { kind: 'closed'; reason: string; retryInMs: number };

export interface ConnHandlers {
  message(m: ServerMessage): void;
  state(s: ConnState): void;
  invalid(error: string): void;
}

export class Connection {
  private ws: WebSocket | null = null;
  private heartbeatMs = 5000;
  private lastMessage = 0;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private backoff = 500;
  private stopped = false;
  private shutdownReason: string | null = null;
  invalidCount = 0;

  constructor(private readonly url: string, private readonly h: ConnHandlers) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry !== null) clearTimeout(this.retry);
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.ws?.close();
    this.ws = null;
  }

  send(m: ClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  private connect(): void {
    this.h.state({ kind: 'connecting' });
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.lastMessage = Date.now();
      this.backoff = 500;
      this.shutdownReason = null;
    };
    ws.onmessage = (ev) => {
      this.lastMessage = Date.now();
      if (typeof ev.data !== 'string') {
        this.invalidCount++;
        this.h.invalid('binary message');
        return;
      }
      const p = parseServerMessage(ev.data);
      if (!p.ok) {
        this.invalidCount++;
        this.h.invalid(p.error);
        return;
      }
      const m = p.value;
      if (m.type === 'hello') {
        this.heartbeatMs = m.heartbeat_ms;
        this.h.state({ kind: 'open', server: m.server });
      } else if (m.type === 'shutdown') {
        this.shutdownReason = m.reason;
      }
      this.h.message(m);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.watchdog !== null) clearInterval(this.watchdog);
      if (this.stopped) return;
      const wait = this.backoff;
      this.backoff = Math.min(this.backoff * 2, 10_000);
      const reason = this.shutdownReason !== null ? `server shut down: ${this.shutdownReason}` : `connection closed (${ev.code})`;
      this.h.state({ kind: 'closed', reason, retryInMs: wait });
      this.retry = setTimeout(() => this.connect(), wait);
    };
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.watchdog = setInterval(() => {
      // Three missed heartbeats: the server or the path to it is gone even if TCP has not noticed.
      if (ws.readyState === WebSocket.OPEN && Date.now() - this.lastMessage > 3 * this.heartbeatMs) ws.close(4000, 'heartbeat timeout');
    }, 1000);
  }
}
