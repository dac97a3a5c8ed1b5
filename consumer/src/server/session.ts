/**
 * One connected browser. It reads each subscribed stream's backlog through its own cursor; the
 * server calls pump() at most max_frames_per_s times a second, and each pump sends at most one
 * batch per stream. A client that lags more than queueCap records behind (or whose socket buffer
 * is full) loses the lag: counted, and told with a resync message — memory never grows with it.
 */
import type { WebSocket } from 'ws';
import { ClientMessage, type ContainerSummary, type ServerMessage } from '../protocol.js';
import type { RecordHub } from './hub.js';

export interface SessionLimits {
  /** records a client may lag behind the newest before the lag is dropped */
  queueCap: number;
  /** records per batch message */
  maxBatch: number;
  /** bytes queued in the socket above which no more batches are sent until it drains */
  maxBufferedBytes: number;
}

interface Subscription {
  cursor: number;
  dropped: number;
}

/** The part of a WebSocket a session uses (tests pass a fake). */
export type SessionSocket = Pick<WebSocket, 'send' | 'bufferedAmount' | 'readyState'>;

export class ClientSession {
  private readonly subs = new Map<number, Subscription>();
  private listVersion = -1;
  /** records this client did not get, over all streams */
  dropped = 0;
  framesSent = 0;

  constructor(
    private readonly ws: SessionSocket,
    private readonly hub: RecordHub,
    private readonly limits: SessionLimits,
  ) {}

  send(msg: ServerMessage): void {
    if (this.ws.readyState !== 1) return;
    this.ws.send(JSON.stringify(msg));
  }

  /** A message from the browser: untrusted, validated here. */
  receive(data: string): void {
    let msg: ClientMessage;
    try {
      const res = ClientMessage.safeParse(JSON.parse(data));
      if (!res.success) throw new Error('invalid message');
      msg = res.data;
    } catch {
      this.send({ type: 'error', message: 'invalid message' });
      return;
    }
    if (msg.type === 'unsubscribe') {
      this.subs.delete(msg.stream);
      return;
    }
    const s = this.hub.stream(msg.stream);
    if (s === undefined) {
      this.send({ type: 'error', message: `no live stream ${msg.stream}` });
      return;
    }
    const from = s.backlog.oldest;
    this.subs.set(msg.stream, { cursor: from, dropped: 0 });
    this.send({ type: 'subscribed', stream: s.id, file: s.file, not_in_memory: from });
  }

  /** Sends the container list if it changed since this client last got it. */
  pumpList(list: () => ContainerSummary[]): void {
    if (this.listVersion === this.hub.version) return;
    this.listVersion = this.hub.version;
    this.send({ type: 'containers', containers: list() });
  }

  /** One frame: per subscribed stream, drop what overflowed, then send one batch. */
  pump(): void {
    if (this.ws.readyState !== 1) return;
    const congested = this.ws.bufferedAmount > this.limits.maxBufferedBytes;
    for (const [id, sub] of this.subs) {
      const s = this.hub.stream(id);
      if (s === undefined) {
        this.subs.delete(id);
        continue;
      }
      const b = s.backlog;
      let lost = 0;
      let reason: 'slow-client' | 'backlog-overrun' = 'slow-client';
      if (sub.cursor < b.oldest) {
        lost = b.oldest - sub.cursor;
        reason = 'backlog-overrun';
      }
      if (b.head - Math.max(sub.cursor, b.oldest) > this.limits.queueCap) {
        lost = b.head - sub.cursor; // resume at the newest: the lag is what this client loses
        reason = 'slow-client';
      }
      if (lost > 0) {
        sub.cursor += lost;
        sub.dropped += lost;
        this.dropped += lost;
        this.send({ type: 'resync', stream: id, dropped: lost, total_dropped: this.dropped, reason, from: sub.cursor });
      }
      if (congested || sub.cursor >= b.head) continue;
      const to = Math.min(b.head, sub.cursor + this.limits.maxBatch);
      this.send({ type: 'records', stream: id, from: sub.cursor, records: b.slice(sub.cursor, to) });
      sub.cursor = to;
      this.framesSent++;
    }
  }
}
