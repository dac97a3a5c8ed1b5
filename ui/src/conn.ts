/**
 * The page's side of the live feed. The WebSocket itself, JSON parsing, validation of every
 * message at the edge, the heartbeat watchdog and reconnects run in a Web Worker (feed.ts,
 * feed.worker.ts); this class starts it, relays commands, and hands the page validated messages —
 * record batches parsed from the JSON text the worker re-serialized from zod's output. It
 * acknowledges each post on the next animation frame (or after 250 ms without frames, e.g. a
 * hidden tab), so the page applies at most one batch per frame.
 */
import type { FeedCommand, FeedEvent } from './feed.js';
import type { ClientMessage, ServerMessage, TraceRecord } from './types.js';

export type { ConnState } from './feed.js';
import type { ConnState } from './feed.js';

export interface ConnHandlers {
  message(m: ServerMessage): void;
  state(s: ConnState): void;
  invalid(error: string): void;
}

export class Connection {
  private worker: Worker | null = null;
  private socketOpen = false;
  invalidCount = 0;

  constructor(private readonly url: string, private readonly h: ConnHandlers) {}

  start(): void {
    const w = new Worker(new URL('./feed.worker.ts', import.meta.url), { type: 'module', name: 'runc-trace feed' });
    this.worker = w;
    w.onmessage = (e: MessageEvent<FeedEvent>) => {
      if (this.worker === w) this.event(e.data);
    };
    w.onerror = (e) => {
      if (this.worker === w) this.h.state({ kind: 'closed', reason: `feed worker failed: ${e.message}`, retryInMs: 0 });
    };
    this.command({ type: 'start', url: this.url });
  }

  stop(): void {
    this.command({ type: 'stop' });
    this.worker?.terminate();
    this.worker = null;
    this.socketOpen = false;
  }

  send(m: ClientMessage): void {
    this.command({ type: 'send', msg: m });
  }

  get open(): boolean {
    return this.socketOpen;
  }

  private command(c: FeedCommand): void {
    this.worker?.postMessage(c);
  }

  private event(e: FeedEvent): void {
    switch (e.type) {
      case 'state':
        this.h.state(e.state);
        return;
      case 'socket':
        this.socketOpen = e.open;
        return;
      case 'invalid':
        this.invalidCount++;
        this.h.invalid(e.error);
        return;
      case 'messages':
        for (const m of e.messages) {
          if (m.type === 'records') this.h.message({ type: 'records', stream: m.stream, from: m.from, records: JSON.parse(m.json) as TraceRecord[] });
          else this.h.message(m);
        }
        this.ackSoon();
        return;
    }
  }

  private ackSoon(): void {
    const w = this.worker;
    let done = false;
    const ack = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (this.worker === w) this.command({ type: 'ack' });
    };
    const timer = setTimeout(ack, 250);
    requestAnimationFrame(ack);
  }
}
