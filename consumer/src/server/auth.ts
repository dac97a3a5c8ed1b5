/**
 * Who may use the dashboard: the holder of the access token, from a page this server served.
 * The token arrives as ?token= (the printed URL), a Bearer header (the API from the page) or the
 * HttpOnly cookie set when the page loads (its scripts and styles). Origin and Host checks keep
 * other sites (and DNS rebinding) from using a browser that holds the cookie.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

export const COOKIE = 'runc_trace_token';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Constant-time comparison (of digests, so the lengths never leak either). */
export function tokenMatches(given: string, token: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function cookieToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/** The token a request carries, or null when it carries none. */
export function requestToken(req: IncomingMessage, url: URL): string | null {
  const q = url.searchParams.get('token');
  if (q !== null) return q;
  const auth = req.headers.authorization;
  if (auth !== undefined && auth.startsWith('Bearer ')) return auth.slice(7);
  try {
    return cookieToken(req.headers.cookie);
  } catch {
    return null;
  }
}

export type Verdict = { ok: true; viaQuery: boolean } | { ok: false; status: 401 | 403 | 421; reason: string };

export interface ListenAddress {
  host: string;
  port: number;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1';
  return false;
}

/** Parses HOST:PORT / [V6]:PORT. */
export function parseListen(s: string): ListenAddress | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  if (m === null) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined && isIP(host) !== 6) return null;
  return { host, port };
}

export class Gate {
  constructor(
    private readonly token: string,
    /** loopback bind: Host must be a loopback name (defeats DNS rebinding); else any Host */
    private readonly loopbackOnly: boolean,
  ) {}

  /** Host header check: a loopback-bound dashboard answers only to loopback names. */
  hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host;
    if (host === undefined) return false;
    if (!this.loopbackOnly) return true;
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::\d+)?$/.exec(host);
    return m !== null && isLoopback(m[1]!);
  }

  /** The origin this server serves the page from, as the browser names it. */
  servedOrigin(req: IncomingMessage): string {
    return `http://${req.headers.host ?? ''}`;
  }

  check(req: IncomingMessage, url: URL, { requireOrigin }: { requireOrigin: boolean }): Verdict {
    if (!this.hostAllowed(req)) return { ok: false, status: 421, reason: 'host not allowed' };
    const origin = req.headers.origin;
    if (origin !== undefined ? origin !== this.servedOrigin(req) : requireOrigin) {
      return { ok: false, status: 403, reason: 'origin not allowed' };
    }
    const given = requestToken(req, url);
    if (given === null || given === '') return { ok: false, status: 401, reason: 'token required' };
    if (!tokenMatches(given, this.token)) return { ok: false, status: 403, reason: 'wrong token' };
    return { ok: true, viaQuery: url.searchParams.has('token') };
  }
}
