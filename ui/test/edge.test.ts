import { describe, expect, it } from 'vitest';
import { parseFilesResponse, parseJsonl, parseServerMessage } from '../src/edge.js';
import { exitRec, header, syscall } from './fixtures.js';

describe('server messages are validated at the edge', () => {
  it('accepts every message type of protocol v1', () => {
    const msgs = [
      { type: 'hello', v: 1, server: 's', heartbeat_ms: 5000, max_frames_per_s: 20, queue_cap: 100 },
      { type: 'containers', containers: [{ file: 'a.jsonl', container: 'a', stream: 1, state: 'running', status: null, signal: null, records: 3, lost: 0, started: null, bytes: 10 }] },
      { type: 'subscribed', stream: 1, file: 'a.jsonl', not_in_memory: 0 },
      { type: 'records', stream: 1, from: 0, records: [header, syscall('openat', { args: { pathname: '/x' } })] },
      { type: 'resync', stream: 1, dropped: 5, total_dropped: 5, reason: 'slow-client', from: 10 },
      { type: 'heartbeat', ts: 1 },
      { type: 'shutdown', reason: 'bye', reconnect: false },
      { type: 'error', message: 'x' },
    ];
    for (const m of msgs) expect(parseServerMessage(JSON.stringify(m)), m.type).toMatchObject({ ok: true, value: m });
  });

  it('rejects non-JSON, unknown types, wrong versions and a batch with one invalid record', () => {
    expect(parseServerMessage('<html>')).toEqual({ ok: false, error: 'not JSON' });
    expect(parseServerMessage('{"type":"eval","code":"x"}').ok).toBe(false);
    expect(parseServerMessage(JSON.stringify({ type: 'hello', v: 2, server: 's', heartbeat_ms: 1, max_frames_per_s: 1, queue_cap: 1 })).ok).toBe(false);
    const bad = { ...syscall('openat'), pid: -1 };
    const r = parseServerMessage(JSON.stringify({ type: 'records', stream: 1, from: 0, records: [syscall('read'), bad] }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('records.1.pid');
  });

  it('validates /api/files bodies', () => {
    expect(parseFilesResponse({ files: [] }).ok).toBe(true);
    expect(parseFilesResponse({ files: [{ file: 1 }] }).ok).toBe(false);
  });
});

describe('replay parser', () => {
  it('loads the valid lines and reports each malformed one with its line number', async () => {
    const lines = [
      JSON.stringify(header),
      JSON.stringify(syscall('openat')),
      '{"type":"syscall","seq":1', // torn
      '',
      JSON.stringify({ ...syscall('read'), ts: 'yesterday' }),
      'garbage',
      JSON.stringify({ type: 'header', v: 2 }),
      JSON.stringify(syscall('close')) + '\r',
      JSON.stringify(exitRec(2)),
    ];
    const p = await parseJsonl(lines.join('\n') + '\n', { chunk: 2 });
    expect(p.records.map((r) => r.type)).toEqual(['header', 'syscall', 'syscall', 'exit']);
    expect(p.bad.map((b) => b.line)).toEqual([3, 5, 6, 7]);
    expect(p.bad[0]!.error).toMatch(/^not JSON/);
    expect(p.bad[1]!.error).toContain('ts');
    expect(p.bad[3]!.error).toContain('v');
    expect(p.lines).toBe(9);
  });

  it('an empty file is zero records and no errors', async () => {
    expect(await parseJsonl('')).toEqual({ records: [], bad: [], lines: 0 });
  });
});
