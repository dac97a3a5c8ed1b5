/**
 * `runc-trace-consumer verify FILE…`: checks a JSONL trace file's hash chain (chain.ts) and its
 * seal (the exit record) and names the first line that was altered, is missing, out of order or
 * inserted, or where the file was cut.
 *
 * The chain alone says *where* it breaks; the kind is inferred from the neighbours:
 *   * the next line chains from the previous one and this one chains from the next → reordered;
 *   * the next line chains from the previous one → inserted;
 *   * the next line chains from this one: this line was edited, or lines before it were removed
 *     (its `seq` does not follow the previous record's) → altered / missing.
 */
import * as fs from 'node:fs';
import { CHAIN_GENESIS, chainOf, unsealLine } from './chain.js';

export type ProblemKind = 'altered' | 'missing' | 'reordered' | 'inserted' | 'truncated' | 'malformed' | 'inconsistent';

export interface VerifyResult {
  ok: boolean;
  /** complete lines read */
  lines: number;
  /** chain of the last good line */
  head: string;
  /** the file ends with an exit record */
  sealed: boolean;
  problem?: { line: number; kind: ProblemKind; message: string };
}

interface Parsed {
  body: string;
  chain: string;
  rec: Record<string, unknown>;
}

function parse(line: string): Parsed | null {
  const s = unsealLine(line);
  if (s === null) return null;
  try {
    const rec = JSON.parse(s.body) as unknown;
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return null;
    return { ...s, rec: rec as Record<string, unknown> };
  } catch {
    return null;
  }
}

/** First and last seq number a record covers, null for header and exit. */
function seqRange(r: Record<string, unknown>): [number, number] | null {
  if (r.type === 'syscall' || r.type === 'process' || r.type === 'throttle') return [Number(r.seq), Number(r.seq)];
  if (r.type === 'gap') return [Number(r.seq_from), Number(r.seq_to)];
  return null;
}

/** Lines of a file read in chunks; `torn` is set when the last line has no newline. */
function* fileLines(file: string, state: { torn: string | null }): Generator<string> {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let rest = '';
    const dec = new TextDecoder('utf-8');
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const text = rest + dec.decode(buf.subarray(0, n), { stream: true });
      const parts = text.split('\n');
      rest = parts.pop()!;
      for (const p of parts) yield p;
    }
    rest += dec.decode();
    state.torn = rest === '' ? null : rest;
  } finally {
    fs.closeSync(fd);
  }
}

export function verifyLines(lines: Iterable<string>, opts: { partial?: boolean; torn?: () => string | null } = {}): VerifyResult {
  const it = lines[Symbol.iterator]();
  let prev = CHAIN_GENESIS;
  let lastSeq = -1; // highest seq number covered so far
  let n = 0;
  let records = 0;
  let lost = 0;
  let throttled = 0;
  let last: Record<string, unknown> | null = null;
  const fail = (line: number, kind: ProblemKind, message: string): VerifyResult => ({
    ok: false, lines: n, head: prev, sealed: false, problem: { line, kind, message },
  });
  let next = it.next();
  while (!next.done) {
    const line = next.value;
    next = it.next();
    const no = n + 1;
    if (last !== null && last.type === 'exit') return fail(no, 'inserted', 'a line after the exit record');
    const p = parse(line);
    if (p === null) return fail(no, line === '' ? 'missing' : 'malformed', line === '' ? 'empty line' : 'not a JSON object ending with a chain member (edited, or written without a chain)');
    if (p.chain !== chainOf(prev, p.body)) {
      const q = next.done ? null : parse(next.value);
      const range = seqRange(p.rec);
      if (q !== null && q.chain === chainOf(prev, q.body)) {
        if (p.chain === chainOf(q.chain, p.body)) return fail(no, 'reordered', `line ${no} and line ${no + 1} are swapped`);
        return fail(no, 'inserted', `line ${no} does not belong here (line ${no + 1} follows line ${no - 1})`);
      }
      if (no === 1 && p.rec.type !== 'header') return fail(1, 'missing', 'the header (line 1) is missing');
      if (range !== null && lastSeq >= 0 && range[0] < lastSeq + 1 && range[1] <= lastSeq) {
        return fail(no, 'reordered', `seq ${range[0]} comes after seq ${lastSeq}`);
      }
      if (range !== null && range[0] > lastSeq + 1 && lastSeq >= 0) {
        return fail(no, 'missing', `line(s) missing before line ${no}: seq ${lastSeq + 1}..${range[0] - 1} are not in the file`);
      }
      if (q !== null && q.chain === chainOf(p.chain, q.body)) return fail(no, 'altered', `line ${no} was changed after it was written`);
      return fail(no, 'altered', `chain broken at line ${no} (altered, or lines before it missing)`);
    }
    if (no === 1 && p.rec.type !== 'header') return fail(1, 'malformed', 'line 1 is not a header');
    const range = seqRange(p.rec);
    if (range !== null) {
      if (range[1] > lastSeq) lastSeq = range[1];
      if (p.rec.type === 'gap') lost += Number(p.rec.lost);
      else records++;
      if (p.rec.type === 'throttle') throttled += Number(p.rec.suppressed);
    }
    if (p.rec.type === 'exit') {
      if (p.rec.head !== undefined && p.rec.head !== prev) return fail(no, 'altered', 'exit record: head does not match the chain');
      if (Number(p.rec.records) !== records || Number(p.rec.lost) !== lost) {
        return fail(no, 'inconsistent', `exit record says ${String(p.rec.records)} records/${String(p.rec.lost)} lost, the file has ${records}/${lost}`);
      }
      if (Number(p.rec.throttled ?? 0) !== throttled) {
        return fail(no, 'inconsistent', `exit record says ${String(p.rec.throttled ?? 0)} throttled, the throttle records sum to ${throttled}`);
      }
    }
    prev = p.chain;
    last = p.rec;
    n = no;
  }
  const torn = opts.torn?.() ?? null;
  if (torn !== null) return fail(n + 1, 'truncated', `line ${n + 1} is cut off (no newline): the file was truncated or its writer killed`);
  const sealed = last !== null && last.type === 'exit';
  if (!sealed && !opts.partial) {
    return fail(n + 1, 'truncated', `no exit record after line ${n}: the file was truncated (or its container was still traced / the consumer stopped; --partial accepts that)`);
  }
  return { ok: true, lines: n, head: prev, sealed };
}

export function verifyFile(file: string, opts: { partial?: boolean } = {}): VerifyResult {
  const state = { torn: null as string | null };
  return verifyLines(fileLines(file, state), { ...opts, torn: () => state.torn });
}

/** CLI: prints one line per file; exit status 0 when every file is OK, 1 otherwise, 2 when unreadable. */
export function verifyMain(files: string[], partial: boolean): number {
  let status = 0;
  for (const f of files) {
    let r: VerifyResult;
    try {
      r = verifyFile(f, { partial });
    } catch (e) {
      process.stdout.write(`${f}: ERROR: ${(e as Error).message}\n`);
      status = Math.max(status, 2);
      continue;
    }
    if (r.ok) {
      process.stdout.write(`${f}: OK: ${r.lines} lines, ${r.sealed ? 'sealed' : 'unsealed (no exit record yet)'}, head ${r.head}\n`);
    } else {
      const p = r.problem!;
      process.stdout.write(`${f}: line ${p.line}: ${p.kind}: ${p.message}\n`);
      status = Math.max(status, 1);
    }
  }
  return status;
}
