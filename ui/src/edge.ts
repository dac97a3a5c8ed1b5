/**
 * The dashboard's untrusted edge: every byte from the server (WebSocket messages, API bodies) and
 * every line of a JSONL file is validated here, with the one schema module of the format, before
 * the rest of the UI sees it. This is the only UI module that imports values from consumer/src;
 * everything else imports types only (ui/test/boundary.test.ts enforces both).
 */
import { FilesResponse, ServerMessage } from '../../consumer/src/protocol.js';
import { SCHEMA_VERSION, TraceRecord } from '../../consumer/src/schema.js';
import type { FilesResponse as FilesResponseT, ServerMessage as ServerMessageT } from '../../consumer/src/protocol.js';
import type { TraceRecord as TraceRecordT } from '../../consumer/src/schema.js';

export { SCHEMA_VERSION };

function describe(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') + ': ' : ''}${i.message}`)
    .join('; ');
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseServerMessage(text: string): Parsed<ServerMessageT> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const r = ServerMessage.safeParse(v);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: describe(r.error.issues) };
}

export function parseFilesResponse(v: unknown): Parsed<FilesResponseT> {
  const r = FilesResponse.safeParse(v);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: describe(r.error.issues) };
}

export interface BadLine {
  /** 1-based line number in the file */
  line: number;
  error: string;
  /** the start of the line, for the report */
  text: string;
}

export interface ParsedTrace {
  records: TraceRecordT[];
  bad: BadLine[];
  lines: number;
}

/**
 * Parses a JSONL trace: every valid line becomes a record, every invalid one a BadLine with its
 * line number; one bad line never stops the rest. Yields to the event loop every `chunk` lines so
 * a large file does not freeze the page. (Schema v1 is the only version: an upgrader for v2 goes
 * here, applied per record after validation against its own version.)
 */
export async function parseJsonl(
  text: string,
  opts: { chunk?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<ParsedTrace> {
  const chunk = opts.chunk ?? 20_000;
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const records: TraceRecordT[] = [];
  const bad: BadLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (i > 0 && i % chunk === 0) {
      opts.onProgress?.(i, lines.length);
      await new Promise((r) => setTimeout(r, 0));
    }
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      bad.push({ line: i + 1, error: `not JSON: ${(e as Error).message}`, text: line.slice(0, 120) });
      continue;
    }
    const r = TraceRecord.safeParse(v);
    if (r.success) records.push(r.data);
    else bad.push({ line: i + 1, error: describe(r.error.issues), text: line.slice(0, 120) });
  }
  opts.onProgress?.(lines.length, lines.length);
  return { records, bad, lines: lines.length };
}
