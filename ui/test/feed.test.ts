// The live feed that runs in the Web Worker (src/feed.ts), driven through a fake socket: what the
// page receives is validated, coalesced, flow-controlled and bounded.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Feed, MAX_POST, MAX_QUEUED, type FeedEvent, type FeedSocket } from '../src/feed.js';
import { syscall } from './fixtures.js';

class FakeSocket implements FeedSocket {
  readyState = 0;
  onopen: FeedSocket['onopen'] = null;
  onmessage: FeedSocket['onmessage'] = null;
  onclose: FeedSocket['onclose'] = null;
  sent: string[] = [];
  send(d: string): void { this.sent.push(d); }
  close(code = 1000): void { this.readyState = 3; this.onclose?.({ code }); }
  open(): void { this.readyState = 1; this.onopen?.({}); }
  msg(m: unknown): void { this.onmessage?.({ data: typeof m === 'string' ? m : JSON.stringify(m) }); }
}

function setup() {
  const events: FeedEvent[] = [];
  const sockets: FakeSocket[] = [];
  const feed = new Feed((e) => events.push(e), () => { const s = new FakeSocket(); sockets.push(s); return s; });
  feed.command({ type: 'start', url: 'ws://x/ws' });
  sockets[0]!.open();
  const batches = () => events.flatMap((e) => (e.type === 'messages' ? [e.messages] : []));
  return { feed, events, sockets, ws: sockets[0]!, batches };
}

const recs = (n: number) => Array.from({ length: n }, (_, i) => syscall(i % 2 === 0 ? 'read' : 'openat', { args: i % 2 ? { pathname: `/p/${i}` } : {} }));

describe('live feed (worker side)', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('validates every message: invalid ones are reported, never forwarded; heartbeats stay in the worker', () => {
    const { events, ws, batches } = setup();
    ws.msg('<html>');
    ws.onmessage?.({ data: new ArrayBuffer(4) });
    ws.msg({ type: 'records', stream: 1, from: 0, records: [syscall('read'), { ...syscall('read'), comm: { toString: 1 } }] });
    ws.msg({ type: 'heartbeat', ts: 1 });
    expect(events.filter((e) => e.type === 'invalid').map((e) => (e as { error: string }).error)).toEqual(['not JSON', 'binary message', expect.stringContaining('records.1.comm')]);
    expect(batches()).toEqual([]);
  });

  it('hello opens the state; record batches arrive as JSON of the validated records', () => {
    const { events, ws, batches } = setup();
    ws.msg({ type: 'hello', v: 1, server: 'srv', heartbeat_ms: 5000, max_frames_per_s: 20, queue_cap: 100 });
    expect(events).toContainEqual({ type: 'state', state: { kind: 'open', server: 'srv' } });
    const r = recs(3);
    ws.msg({ type: 'records', stream: 1, from: 0, records: r });
    expect(batches()).toHaveLength(1);
    const b = batches()[0]!;
    expect(b[0]!.type).toBe('hello');
  });

  it('one post in flight: batches queue until the page acknowledges, contiguous ones merge', () => {
    const { feed, ws, batches } = setup();
    ws.msg({ type: 'subscribed', stream: 1, file: 'a.jsonl', not_in_memory: 0 });
    expect(batches()).toHaveLength(1);
    const r = recs(9);
    ws.msg({ type: 'records', stream: 1, from: 0, records: r.slice(0, 3) });
    ws.msg({ type: 'records', stream: 1, from: 3, records: r.slice(3, 6) });
    ws.msg({ type: 'resync', stream: 1, dropped: 4, total_dropped: 4, reason: 'slow-client', from: 10 });
    ws.msg({ type: 'records', stream: 1, from: 10, records: r.slice(6, 9) });
    expect(batches()).toHaveLength(1); // nothing until the ack
    feed.command({ type: 'ack' });
    const b = batches()[1]!;
    expect(b.map((m) => m.type)).toEqual(['records', 'resync', 'records']);
    const first = b[0] as { from: number; count: number; json: string };
    expect(first.from).toBe(0);
    expect(first.count).toBe(6);
    expect(JSON.parse(first.json)).toEqual(r.slice(0, 6));
    expect(JSON.parse((b[2] as { json: string }).json)).toEqual(r.slice(6, 9));
    feed.command({ type: 'ack' });
    expect(batches()).toHaveLength(2); // nothing queued: nothing posted
  });

  it('posts at most MAX_POST records at a time, in order', () => {
    const { feed, ws, batches } = setup();
    ws.msg({ type: 'subscribed', stream: 1, file: 'a.jsonl', not_in_memory: 0 });
    const n = MAX_POST + 5;
    ws.msg({ type: 'records', stream: 1, from: 0, records: recs(n) });
    feed.command({ type: 'ack' });
    feed.command({ type: 'ack' });
    const parts = batches().slice(1).map((b) => b[0] as { from: number; count: number });
    expect(parts.map((p) => [p.from, p.count])).toEqual([[0, MAX_POST], [MAX_POST, 5]]);
  });

  it('a page that stops acknowledging loses the queued records as a counted resync; memory stays bounded', () => {
    const { feed, ws, batches } = setup();
    ws.msg({ type: 'subscribed', stream: 7, file: 'a.jsonl', not_in_memory: 0 });
    const r = recs(5000);
    let from = 0;
    while (from <= MAX_QUEUED) {
      ws.msg({ type: 'records', stream: 7, from, records: r });
      from += r.length;
    }
    feed.command({ type: 'ack' });
    const b = batches()[1]!;
    expect(b).toEqual([{ type: 'resync', stream: 7, dropped: from, total_dropped: from, reason: 'slow-client', from }]);
    ws.msg({ type: 'records', stream: 7, from, records: r.slice(0, 2) });
    feed.command({ type: 'ack' });
    expect((batches()[2]![0] as { from: number; count: number }).count).toBe(2);
  });

  it('sends client messages, reconnects with backoff and reports a shutdown as such', () => {
    const { feed, events, sockets, ws } = setup();
    feed.command({ type: 'send', msg: { type: 'subscribe', stream: 3 } });
    expect(ws.sent).toEqual(['{"type":"subscribe","stream":3}']);
    ws.msg({ type: 'shutdown', reason: 'consumer stopping', reconnect: false });
    ws.close(1001);
    expect(events).toContainEqual({ type: 'socket', open: false });
    expect(events).toContainEqual({ type: 'state', state: { kind: 'closed', reason: 'server shut down: consumer stopping', retryInMs: 500 } });
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(2);
    feed.command({ type: 'stop' });
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(2);
  });

  it('three missed heartbeats close the socket', () => {
    const { events, ws } = setup();
    ws.msg({ type: 'hello', v: 1, server: 'srv', heartbeat_ms: 1000, max_frames_per_s: 20, queue_cap: 100 });
    vi.advanceTimersByTime(4500);
    expect(ws.readyState).toBe(3);
    expect(events).toContainEqual({ type: 'state', state: { kind: 'closed', reason: 'connection closed (4000)', retryInMs: 500 } });
  });
});
