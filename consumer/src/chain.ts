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
/** what sealLine puts between the body (without its closing brace) and the chain value */
export const CHAIN_MEMBER_HEAD = SUFFIX_HEAD;
const HEX64 = /^[0-9a-f]{64}$/;

/** chain(n) from chain(n-1) and body(n). */
export function chainOf(prev: string, body: string): string {
  return hash('sha256', prev + body, 'hex');
}

/** Appends the chain member to a record's JSON text (`{…}`, never `{}`). */
export function sealLine(body: string, chain: string): string {
  return body.slice(0, -1) + SUFFIX_HEAD + chain + '"}';
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
