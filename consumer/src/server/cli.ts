/** The --listen family of flags of runc-trace-consumer, kept here so main.ts only wires them. */
import { newToken, parseListen } from './auth.js';
import { startDashboard, type Dashboard } from './dashboard.js';

export const dashboardFlags = {
  listen: 'value',
  'listen-any-address': 'bool',
  token: 'value',
  'ui-dir': 'value',
} as const;

export interface DashboardFlags {
  listen: string | undefined;
  anyAddress: boolean;
  token: string | undefined;
  uiDir: string | undefined;
}

/** Starts the dashboard when --listen was given; prints its URL (with the token) on stdout. */
export async function startDashboardFromFlags(f: DashboardFlags, outDir: string, log: (m: string) => void): Promise<Dashboard | null> {
  if (f.listen === undefined) return null;
  const listen = parseListen(f.listen);
  if (listen === null) throw new Error(`--listen: expected HOST:PORT, got ${JSON.stringify(f.listen)}`);
  const token = f.token ?? process.env.RUNC_TRACE_TOKEN ?? newToken();
  if (token.length < 16) throw new Error('dashboard token: at least 16 characters (--token or RUNC_TRACE_TOKEN)');
  const d = await startDashboard({
    listen, anyAddress: f.anyAddress, token, outDir, log,
    ...(f.uiDir !== undefined ? { uiDir: f.uiDir } : {}),
  });
  process.stdout.write(`dashboard: ${d.url}\n`);
  return d;
}
