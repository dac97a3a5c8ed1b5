/** The access token and the HTTP API. The token is taken from the URL once and kept per tab. */
import { parseFilesResponse } from './edge.js';
import type { ContainerSummary } from './types.js';

const KEY = 'runc-trace-token';

export function takeToken(): string {
  const u = new URL(window.location.href);
  const t = u.searchParams.get('token');
  if (t !== null) {
    sessionStorage.setItem(KEY, t);
    u.searchParams.delete('token'); // out of the address bar, history and screenshots
    window.history.replaceState(null, '', u.pathname + u.search + u.hash);
    return t;
  }
  return sessionStorage.getItem(KEY) ?? '';
}

export function wsUrl(token: string): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}/ws?token=${encodeURIComponent(token)}`;
}

async function get(path: string, token: string): Promise<Response> {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${(await res.text()).trim()}`);
  return res;
}

export async function listFiles(token: string): Promise<ContainerSummary[]> {
  const p = parseFilesResponse(await (await get('/api/files', token)).json());
  if (!p.ok) throw new Error(`/api/files: invalid response: ${p.error}`);
  return p.value.files;
}

export async function fetchFile(name: string, token: string): Promise<string> {
  return (await get(`/api/files/${encodeURIComponent(name)}`, token)).text();
}

export function download(name: string, lines: Iterable<string>): void {
  const parts: string[] = [];
  for (const l of lines) parts.push(l, '\n');
  const url = URL.createObjectURL(new Blob(parts, { type: 'application/x-ndjson' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
