/**
 * The hash chain of a JSONL trace file (docs/SCHEMA.md, "Hash chain").
 *
 * Every line is a JSON object whose last member is `"chain":"<64 hex>"`. Its value is
 *
 *     chain(n) = hex(SHA-256(utf8(chain(n-1) + body(n))))      chain(0) = "" (before line 1)
 *
 * where body(n) is line n with its chain member removed, i.e. the JSON text of the record exactly as
 * it was serialised before the member was appended. The writer appends the member textually (no
 * re-serialisation, one one-shot hash per line); a verifier strips the fixed-size suffix.
 */
import { hash } from 'node:crypto';

/** chain(n-1) for line 1 */
export const CHAIN_GENESIS = '';

/** `,"chain":"` + 64 hex + `"}` */
const SUFFIX_LEN = 10 + 64 + 2;
const SUFFIX_HEAD = ',"chain":"';
const HEX64 = /^[0-9a-f]{64}$/;

/** chain(n) from chain(n-1) and body(n). */
export function chainOf(prev: string, body: string): string {
  return hash('sha256', prev + body, 'hex');
}

/** Appends the chain member to a record's JSON text (`{…}`, never `{}`). */
export function sealLine(body: string, chain: string): string {
  return body.slice(0, -1) + SUFFIX_HEAD + chain + '"}';
}

/**
 * sealLine(body, chainOf(prev, body)) + "\n", encoded as UTF-8 straight into `buf` at `at` (the
 * writer's batch buffer: no intermediate strings). `buf` must have room for prev, the body's UTF-8
 * and the chain member. The hash is taken over prev + body as written into `buf`, then the body is
 * moved over prev. Returns the new chain and the offset after the newline.
 */
export function sealInto(buf: Buffer, at: number, prev: string, body: string): { chain: string; end: number } {
  const hl = buf.write(prev, at, 'latin1'); // 64 hex digits, none before line 1
  const n = buf.write(body, at + hl);
  const chain = hash('sha256', buf.subarray(at, at + hl + n), 'hex');
  if (hl !== 0) buf.copyWithin(at, at + hl, at + hl + n - 1);
  let end = at + n - 1; // over the body's closing '}'
  end += buf.write(SUFFIX_HEAD, end, 'latin1');
  end += buf.write(chain, end, 'latin1');
  end += buf.write('"}\n', end, 'latin1');
  return { chain, end };
}

/** Splits a line into body and chain; null when the line does not end with a chain member. */
export function unsealLine(line: string): { body: string; chain: string } | null {
  if (line.length <= SUFFIX_LEN + 1 || !line.endsWith('"}')) return null;
  const at = line.length - SUFFIX_LEN;
  if (line.slice(at, at + SUFFIX_HEAD.length) !== SUFFIX_HEAD) return null;
  const chain = line.slice(at + SUFFIX_HEAD.length, line.length - 2);
  if (!HEX64.test(chain)) return null;
  return { body: line.slice(0, at) + '}', chain };
}
