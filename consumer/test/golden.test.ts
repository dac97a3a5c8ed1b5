// The decoder against the C side: offsets from `runc-trace-bpf layout`, records from
// `runc-trace-bpf golden FILE` (bpf/loader.c cmd_golden lists the values).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BootClock } from '../src/clock.js';
import { decodeRecord, recordSeq, RecordView } from '../src/decode.js';
import * as L from '../src/layout.js';
import { TraceRecord } from '../src/schema.js';
import { Sequencer, type SequencedRecord } from '../src/sequencer.js';
import { toArrayBuffer } from './encode.js';

const BIN = process.env.RUNC_TRACE_BPF ?? new URL('../../build/bin/runc-trace-bpf', import.meta.url).pathname;
const have = existsSync(BIN);
if (!have) console.warn(`golden/layout tests SKIPPED: ${BIN} is not built (run make build)`);

interface Layout {
  abi: number;
  structs: Record<string, { size: number; fields: Record<string, { offset: number; size: number }> }>;
  constants: Record<string, number>;
}

describe.skipIf(!have)('layout agrees with runc-trace-bpf layout', () => {
  const layout = have ? (JSON.parse(execFileSync(BIN, ['layout'], { encoding: 'utf8' })) as Layout) : null;
  const off = (s: string, f: string) => layout!.structs[s]!.fields[f]!.offset;
  const size = (s: string) => layout!.structs[s]!.size;

  it('abi and constants', () => {
    expect(layout!.abi).toBe(L.TRACE_ABI_VERSION);
    const c = layout!.constants;
    expect(c.TRACE_COMM_LEN).toBe(L.TRACE_COMM_LEN);
    expect(c.TRACE_STR0_MAX).toBe(L.TRACE_STR0_MAX);
    expect(c.TRACE_STR1_MAX).toBe(L.TRACE_STR1_MAX);
    expect([c.TRACE_REC_SYSCALL, c.TRACE_REC_FORK, c.TRACE_REC_EXEC, c.TRACE_REC_EXIT, c.TRACE_REC_THROTTLE]).toEqual([
      L.RecordKind.SYSCALL, L.RecordKind.FORK, L.RecordKind.EXEC, L.RecordKind.EXIT, L.RecordKind.THROTTLE]);
    expect([c.TRACE_MAX_RATE, c.TRACE_THROTTLE_TOP, c.TRACE_THROTTLE_NRS]).toEqual([L.TRACE_MAX_RATE, L.TRACE_THROTTLE_TOP, L.TRACE_THROTTLE_NRS]);
    for (const [name, v] of Object.entries(L.Flag)) expect(c[`TRACE_F_${name}`], name).toBe(v);
  });

  it('struct offsets and sizes', () => {
    for (const [f, o] of Object.entries(L.Hdr)) {
      if (f === 'SIZE') expect(size('trace_hdr')).toBe(o);
      else expect(off('trace_hdr', f), `trace_hdr.${f}`).toBe(o);
    }
    for (const f of ['ret', 'args', 'dur_ns', 'nr', 'str0_len', 'str1_len'] as const) expect(off('trace_syscall', f), f).toBe(L.Syscall[f]);
    expect(size('trace_syscall')).toBe(L.Syscall.SIZE);
    expect(off('trace_syscall_strings', 'str0')).toBe(L.Syscall.str0);
    expect(off('trace_syscall_strings', 'str1')).toBe(L.Syscall.str1);
    expect(size('trace_syscall_strings')).toBe(L.Syscall.SIZE_WITH_STRINGS);
    for (const f of ['child_pid', 'child_tid', 'child_vpid', 'child_vtid'] as const) expect(off('trace_fork', f)).toBe(L.Fork[f]);
    expect(size('trace_fork')).toBe(L.Fork.SIZE);
    for (const f of ['old_tid', 'filename_len', 'filename'] as const) expect(off('trace_exec', f)).toBe(L.Exec[f]);
    expect(size('trace_exec')).toBe(L.Exec.SIZE);
    expect(off('trace_exit', 'exit_code')).toBe(L.Exit.exit_code);
    expect(size('trace_exit')).toBe(L.Exit.SIZE);
    for (const f of ['cgroup_id', 'seq', 'lost', 'gen', 'init_pid', 'throttled', 'tat', 'interval_ns', 'rate_limit', 'pad'] as const) {
      expect(off('trace_slot', f), f).toBe(L.Slot[f]);
    }
    expect(size('trace_slot')).toBe(L.Slot.SIZE);
    for (const f of ['start_ns', 'end_ns', 'suppressed', 'other', 'rate_limit', 'ntop', 'top'] as const) expect(off('trace_throttle', f), f).toBe(L.Throttle[f]);
    expect(size('trace_throttle')).toBe(L.Throttle.SIZE);
    expect(size('trace_throttle_nr')).toBe(L.Throttle.TOP_SIZE);
  });
});

describe.skipIf(!have)('golden records from runc-trace-bpf golden', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'rt-golden-')), 'golden.bin');
  if (have) execFileSync(BIN, ['golden', file]);
  const data = have ? readFileSync(file) : Buffer.alloc(0);
  const view = new RecordView(toArrayBuffer(data));
  const ctx = { container: 'golden', initPid: 4242, clock: BootClock.fixed(1_800_000_000) };
  const out: SequencedRecord[] = [];
  const seqr = new Sequencer('golden', (r) => out.push(r), { windowMs: 100, maxPending: 100, startSeq: 0 });
  for (let o = 0; o < data.length; ) {
    const size = view.dv.getUint32(o + L.Hdr.size, true);
    const rec = decodeRecord(view, o, size, ctx);
    expect(rec).not.toBeNull();
    seqr.push(recordSeq(view, o), rec!, 0);
    o += (size + 7) & ~7;
  }
  seqr.flush(0, { seq: 7, lost: 1 }, true);

  it('every decoded record fits schema v1', () => {
    for (const r of out) expect(TraceRecord.safeParse(r).success, JSON.stringify(r)).toBe(true);
  });

  it('decodes the values cmd_golden wrote', () => {
    const common = { container: 'golden', phase: 'workload', uid: 1000, gid: 1001 };
    expect(out.map((r) => r.type === 'process' ? r.event : r.type)).toEqual(['syscall', 'syscall', 'fork', 'gap', 'exec', 'exit', 'throttle']);
    expect(out[0]).toEqual({
      type: 'syscall', seq: 0, ts: '2027-01-15T08:00:01.000000000Z', ...common, pid: 4242, tid: 4242, vpid: 1, vtid: 1, ppid: 4200,
      comm: 'echo', syscall: 'execve', nr: 59,
      args: { raw: [String(0x7ffc00001000), String(0x7ffc00002000), String(0x7ffc00003000), '0', '0', '0'], filename: '/bin/echo', argv: ['echo', 'hello', 'world'] },
      ret: 0, errno: null, dur_ns: 250000,
    });
    expect(out[1]).toMatchObject({ type: 'syscall', seq: 1, ts: '2027-01-15T08:00:01.000001000Z', syscall: 'write', nr: 1, ret: 12, dur_ns: 1500, args: { fd: 1, raw: ['1', String(0x5555deadbeef), '12', '0', '0', '0'] } });
    expect(out[2]).toMatchObject({ type: 'process', event: 'fork', seq: 2, pid: 4242, child_pid: 4243, child_tid: 4243, child_vpid: 2, child_vtid: 2, thread: false, init: true });
    expect(out[3]).toEqual({ type: 'gap', container: 'golden', seq_from: 3, seq_to: 3, lost: 1, reason: 'ringbuf-full' });
    expect(out[4]).toMatchObject({ type: 'process', event: 'exec', seq: 4, pid: 4243, vpid: 2, ppid: 4242, comm: 'true', filename: '/bin/true', old_tid: 4243, init: false });
    expect(out[5]).toMatchObject({ type: 'process', event: 'exit', seq: 5, pid: 4242, wait_status: 256, exit_code: 1, signal: null, thread: false, init: true });
    expect(out[6]).toEqual({
      type: 'throttle', seq: 6, ts: '2027-01-15T08:00:01.000006000Z', ...common, pid: 4242, tid: 4242, vpid: 1, vtid: 1, ppid: 4200, comm: 'echo',
      start: '2027-01-15T08:00:02.000000000Z', end: '2027-01-15T08:00:02.500000000Z', suppressed: 1234, rate_limit: 1000,
      by_syscall: [{ syscall: 'getppid', nr: 110, count: 1000 }, { syscall: 'getpid', nr: 39, count: 200 }], other: 34,
    });
  });

  it('decode-golden CLI prints the same records', () => {
    const main = new URL('../src/main.ts', import.meta.url).pathname;
    const text = execFileSync('node', ['--import', 'tsx', main, 'decode-golden', file, '--container', 'golden', '--init-pid', '4242'], { encoding: 'utf8' });
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(6);
    expect(lines[0].args.argv).toEqual(['echo', 'hello', 'world']);
  });
});
