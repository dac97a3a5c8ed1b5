/**
 * Untrusted strings (comm, paths, argv, addresses) as text only. React escapes markup; this adds
 * what escaping does not cover: control characters, bidi overrides, zero-width characters and
 * replacement characters (invalid UTF-8 in the source) are shown as visible escapes, so "/etc/x\n"
 * or a right-to-left override can not disguise what a container did.
 */
import type { ReactNode } from 'react';

// C0, DEL, C1, zero-width, bidi controls/overrides/isolates, line/paragraph separators, BOM, U+FFFD
const SUSPECT = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufffd]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u0000': '\\0', '\u001b': '\\e', '\ufffd': '\\ufffd' };

export function escapeChar(c: string): string {
  const n = NAMED[c];
  if (n !== undefined) return n;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The string with every suspect character replaced by its visible escape (for titles, exports of views). */
export function visible(s: string): string {
  return s.replace(SUSPECT, escapeChar);
}

export interface Segment {
  text: string;
  escaped: boolean;
}

export function segments(s: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  SUSPECT.lastIndex = 0;
  for (let m = SUSPECT.exec(s); m !== null; m = SUSPECT.exec(s)) {
    if (m.index > last) out.push({ text: s.slice(last, m.index), escaped: false });
    out.push({ text: escapeChar(m[0]), escaped: true });
    last = m.index + 1;
  }
  if (last < s.length) out.push({ text: s.slice(last), escaped: false });
  return out;
}

/** Renders an untrusted string: text nodes only, suspect characters highlighted as escapes. */
export function Txt({ s, className }: { s: string | null | undefined; className?: string }): ReactNode {
  if (s === null || s === undefined) return null;
  SUSPECT.lastIndex = 0;
  if (!SUSPECT.test(s)) return className === undefined ? s : <span className={className}>{s}</span>;
  return (
    <span className={className} title={visible(s)}>
      {segments(s).map((g, i) => (g.escaped ? <span key={i} className="ctl">{g.text}</span> : g.text))}
    </span>
  );
}
