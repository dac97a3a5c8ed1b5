// Dashboard frame rate in headless chromium under a synthetic live load (no kernel side needed):
// for each input rate, records stream for a while with the table following the tail; then the
// table is scrolled through the whole trace. Prints the measurements; fails only if the page
// loses records or falls below MIN_FPS. Run: node test/e2e/perf.e2e.mjs [rate ...]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
// PERF_ROOT: another checkout whose server and built UI (PERF_ROOT/build/ui) to measure, for A/B runs.
const TARGET = process.env.PERF_ROOT ?? ROOT;
const { chromium } = createRequire(join(ROOT, 'ui/package.json'))('playwright-core');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RATES = process.argv.slice(2).map(Number).filter((n) => n > 0);
const rates = RATES.length > 0 ? RATES : [5_000, 20_000, 50_000];
const SECONDS = Number(process.env.PERF_SECONDS ?? 8);
const MIN_FPS = Number(process.env.MIN_FPS ?? 20);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); }); });

const tmp = mkdtempSync('/tmp/rt-perf-');
const browser = await chromium.launchPersistentContext(join(tmp, 'profile'), { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: FLAGS, viewport: { width: 1400, height: 900 } });
const results = [];
let failed = 0;
for (const rate of rates) {
  const port = await freePort();
  const token = 'perf-token-0123456789abcdef';
  const srv = spawn('node', ['--import', 'tsx', '../test/e2e/synthetic-server.mts', '--port', String(port), '--token', token, '--rate', String(rate), '--out', tmp, '--seconds', String(SECONDS)],
    { cwd: join(TARGET, 'consumer'), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => srv.stdout.on('data', (d) => String(d).includes('dashboard:') && r()));
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/?token=${token}`);
  // Subscribe only once the socket is up (before that, a click opens the recorded file instead).
  await page.waitForFunction(() => document.querySelector('[data-testid=conn]')?.textContent === 'live');
  await page.locator('[data-file="load.jsonl"]').click();
  await page.waitForFunction(() => document.querySelector('.trace-head .badge')?.textContent === 'live');
  // frames and long tasks during the live stream
  const live = await page.evaluate(async (ms) => {
    let frames = 0;
    let worst = 0;
    let last = performance.now();
    let longTasks = 0;
    new PerformanceObserver((l) => (longTasks += l.getEntries().length)).observe({ entryTypes: ['longtask'] });
    const t0 = performance.now();
    await new Promise((resolve) => {
      const f = (now) => {
        frames++;
        worst = Math.max(worst, now - last);
        last = now;
        if (now - t0 < ms) requestAnimationFrame(f);
        else resolve();
      };
      requestAnimationFrame(f);
    });
    return { fps: (frames * 1000) / (performance.now() - t0), worstFrameMs: worst, longTasks };
  }, (SECONDS - 2) * 1000);
  await sleep(2500); // the stream ends (exit record) and drains
  const rows = Number(await page.textContent('[data-testid=count-records]'));
  // scroll through the whole table
  const scroll = await page.evaluate(async () => {
    const el = document.querySelector('.tbody');
    let frames = 0;
    const t0 = performance.now();
    await new Promise((resolve) => {
      const f = () => {
        frames++;
        el.scrollTop = ((performance.now() - t0) / 3000) * el.scrollHeight;
        if (performance.now() - t0 < 3000) requestAnimationFrame(f);
        else resolve();
      };
      requestAnimationFrame(f);
    });
    return { fps: (frames * 1000) / (performance.now() - t0), rows: el.querySelectorAll('.tr').length };
  });
  const r = { root: TARGET, rate, seconds: SECONDS, rowsReceived: rows, liveFps: +live.fps.toFixed(1), worstFrameMs: +live.worstFrameMs.toFixed(0), longTasks: live.longTasks, scrollFps: +scroll.fps.toFixed(1), domRows: scroll.rows };
  results.push(r);
  console.log(JSON.stringify(r));
  if (live.fps < MIN_FPS) failed++;
  await page.close();
  srv.kill('SIGTERM');
}
await browser.close();
rmSync(tmp, { recursive: true, force: true });
console.log(`perf: ${results.length - failed} passed, ${failed} failed (min ${MIN_FPS} fps)`);
process.exit(failed > 0 ? 1 : 0);
