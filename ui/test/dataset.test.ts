import { describe, expect, it } from 'vitest';
import { Dataset, tsMs, View } from '../src/dataset.js';
import { EMPTY_FILTER } from '../src/filter.js';
import { exec, fork, gap, header, pexit, syscall } from './fixtures.js';

describe('Dataset', () => {
  it('pause keeps receiving; resume applies everything in order, nothing lost', () => {
    const ds = new Dataset();
    ds.append([header, syscall('read', { ms: 1 })]);
    ds.pause();
    ds.append([syscall('write', { ms: 2 }), syscall('close', { ms: 3 })]);
    ds.append([syscall('exit_group', { ms: 4 })]);
    expect(ds.rows).toHaveLength(2);
    expect(ds.pendingCount).toBe(3);
    ds.resume();
    expect(ds.rows.map((r) => (r.type === 'syscall' ? r.syscall : r.type))).toEqual(['header', 'read', 'write', 'close', 'exit_group']);
    expect(ds.records).toBe(4);
    expect(ds.pendingCount).toBe(0);
  });

  it('aggregates: per syscall, errno, files, endpoints', () => {
    const ds = new Dataset();
    ds.append([
      syscall('openat', { args: { pathname: '/a' } }),
      syscall('openat', { errno: 'ENOENT', args: { pathname: '/a' } }),
      syscall('rename', { args: { oldpath: '/a', newpath: '/b' } }),
      syscall('connect', { errno: 'ECONNREFUSED', args: { addr: '127.0.0.1:9' } }),
    ]);
    expect(ds.bySyscall.get('openat')).toEqual({ count: 2, failed: 1 });
    expect(ds.byErrno.get('ENOENT')!.count).toBe(1);
    expect(ds.byErrno.get('ECONNREFUSED')!.by.get('connect')).toBe(1);
    expect(ds.files.get('/a')!.count).toBe(3);
    expect(ds.files.get('/b')!.count).toBe(1);
    expect(ds.endpoints.get('127.0.0.1:9')).toMatchObject({ count: 1, failed: 1 });
    expect(ds.failed).toBe(2);
  });

  it('builds the process tree from fork, exec and exit', () => {
    const ds = new Dataset();
    ds.append([exec(100, '/bin/workload'), fork(100, 101), exec(101, '/bin/true'), pexit(101, 0), pexit(100, 3)]);
    const init = ds.procs.get(100)!;
    expect(init.children).toEqual([101]);
    expect(init.execs).toEqual(['/bin/workload']);
    expect(init.exit).toEqual({ code: 3, signal: null, core: false });
    expect(ds.procs.get(101)).toMatchObject({ ppid: 100, execs: ['/bin/true'], exit: { code: 0 } });
  });

  it('puts gaps and client drops on the timeline where they happened', () => {
    const ds = new Dataset();
    ds.append([syscall('read', { ms: 1000 }), gap(1, 10), syscall('read', { ms: 2000 })]);
    ds.append([{ type: 'drop', dropped: 7, reason: 'slow-client' }]);
    expect(ds.lost).toBe(10);
    expect(ds.dropped).toBe(7);
    expect(ds.markers.map((m) => [m.kind, m.row, m.count, m.time])).toEqual([
      ['gap', 1, 10, tsMs('2026-12-03T16:49:01.000000000Z')],
      ['drop', 3, 7, tsMs('2026-12-03T16:49:02.000000000Z')],
    ]);
  });

  it('a view updated incrementally equals one computed at once', () => {
    const ds = new Dataset();
    const v = new View(ds, { ...EMPTY_FILTER, syscall: 'openat' });
    for (let i = 0; i < 50; i++) {
      ds.append([syscall(i % 3 === 0 ? 'openat' : 'read', { ms: i })]);
      v.update();
    }
    const once = new View(ds, { ...EMPTY_FILTER, syscall: 'openat' });
    once.update();
    expect(v.indices).toEqual(once.indices);
    expect(v.indices).toHaveLength(17);
  });

  it('parses timestamps to ms with microseconds', () => {
    expect(tsMs('2026-12-03T16:49:00.123456789Z') - Date.parse('2026-12-03T16:49:00.123Z')).toBeCloseTo(0.456789, 4);
  });

  it('exports the header and the rows of a view, never drop rows', () => {
    const ds = new Dataset();
    ds.append([header, syscall('openat'), syscall('read'), { type: 'drop', dropped: 1, reason: 'slow-client' }]);
    const v = new View(ds, { ...EMPTY_FILTER, syscall: 'openat' });
    v.update();
    expect([...ds.traceRecords(v.indices)].map((r) => r.type)).toEqual(['header', 'syscall']);
    expect([...ds.traceRecords()].map((r) => r.type)).toEqual(['header', 'syscall', 'syscall']);
  });
});
