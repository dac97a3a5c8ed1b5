import { describe, expect, it } from 'vitest';
import { Dataset, View } from '../src/dataset.js';
import { EMPTY_FILTER, type Filter } from '../src/filter.js';
import { exec, exitRec, fork, gap, header, syscall } from './fixtures.js';

function shown(f: Partial<Filter>): string[] {
  const ds = new Dataset();
  ds.append([
    header,
    syscall('openat', { pid: 100, ms: 1000, args: { pathname: '/etc/Passwd' } }),
    syscall('openat', { pid: 101, ms: 2000, errno: 'ENOENT', args: { pathname: '/nonexistent' } }),
    syscall('connect', { pid: 100, ms: 3000, args: { addr: '10.0.0.7:5432', family: 'AF_INET' } }),
    syscall('execve', { pid: 102, ms: 4000, phase: 'runtime', args: { filename: '/bin/sh', argv: ['sh', '-c', 'echo SECRET'] } }),
    fork(100, 103, 5000),
    exec(103, '/bin/true', 6000),
    gap(10, 19),
    exitRec(6),
  ]);
  const v = new View(ds, { ...EMPTY_FILTER, ...f });
  v.update();
  return v.indices.map((i) => {
    const r = ds.rows[i]!;
    return r.type === 'syscall' ? r.syscall : r.type === 'process' ? r.event : r.type;
  });
}

describe('filters', () => {
  it('no filter shows everything but the header', () => {
    expect(shown({})).toEqual(['openat', 'openat', 'connect', 'execve', 'fork', 'exec', 'gap', 'exit']);
  });
  it('by syscall name or process event; gaps and the exit line always stay', () => {
    expect(shown({ syscall: 'openat' })).toEqual(['openat', 'openat', 'gap', 'exit']);
    expect(shown({ syscall: 'connect, exec' })).toEqual(['connect', 'exec', 'gap', 'exit']);
  });
  it('by pid or tid', () => {
    expect(shown({ pid: '101 103' })).toEqual(['openat', 'exec', 'gap', 'exit']);
  });
  it('by phase', () => {
    expect(shown({ phase: 'runtime' })).toEqual(['execve', 'gap', 'exit']);
  });
  it('failed only', () => {
    expect(shown({ failedOnly: true })).toEqual(['openat', 'gap', 'exit']);
  });
  it('free text over paths, argv and addresses, case-insensitive', () => {
    expect(shown({ text: 'passwd' })).toEqual(['openat', 'gap', 'exit']);
    expect(shown({ text: 'secret' })).toEqual(['execve', 'gap', 'exit']);
    expect(shown({ text: '10.0.0.7' })).toEqual(['connect', 'gap', 'exit']);
    expect(shown({ text: '/bin/true' })).toEqual(['exec', 'gap', 'exit']);
  });
  it('by time range', () => {
    const t = Date.parse('2026-12-03T16:49:00Z');
    expect(shown({ range: [t + 1500, t + 3500] })).toEqual(['openat', 'connect']);
  });
  it('combined', () => {
    expect(shown({ syscall: 'openat', pid: '100' })).toEqual(['openat', 'gap', 'exit']);
  });
});
