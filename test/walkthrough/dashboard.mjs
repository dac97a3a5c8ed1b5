// node dashboard.mjs URL CONTAINER FILTER PHASE WORKER_PIDS SCREENSHOT: what the README's walkthrough tells
// a reader to do in the dashboard, in Debian's chromium (playwright-core, as test/e2e does): open the
// printed URL, click the running container, type FILTER into the syscall filter, select PHASE. Then every shown row
// must be one of FILTER's syscalls, each of them must be shown, all by a worker (WORKER_PIDS, host
// pids), and an accept4 row must show the host end of the veth. Silent and status 0 when it holds;
// otherwise the reason on stderr, status 1. Run by check.sh while nginx and the consumer run.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = createRequire(join(ROOT, 'ui/package.json'))('playwright-core');
const [url, container, filter, phase, pidList, screenshot] = process.argv.slice(2);
if (screenshot === undefined) {
  console.error('usage: dashboard.mjs URL CONTAINER FILTER PHASE WORKER_PIDS SCREENSHOT');
  process.exit(2);
}
const wanted = filter.split(/[\s,]+/).filter(Boolean);
const workers = new Set(pidList.split(','));
const ROW_H = 22; // RecordTable's row height

const profile = mkdtempSync(join(tmpdir(), 'rt-walkthrough-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let status = 0;
const page = ctx.pages()[0] ?? (await ctx.newPage());
try {
  const item = page.locator(`[data-file="${container}.jsonl"]`);
  await page.goto(url);
  await item.waitFor({ timeout: 15_000 });
  const state = await item.getAttribute('data-state');
  if (state !== 'running') throw new Error(`${container} is listed as '${state}', the README says running`);
  await item.click();
  await page.fill('[data-testid=f-syscall]', filter);
  await page.selectOption('[data-testid=f-phase]', phase);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=count-shown]')?.textContent) > 0
    && Number(document.querySelector('[data-testid=count-shown]')?.textContent) < Number(document.querySelector('[data-testid=count-records]')?.textContent),
  null, { timeout: 10_000 });
  // The table is windowed: walk it from the top, one screen at a time, reading the rows in the DOM.
  const shown = Number(await page.textContent('[data-testid=count-shown]'));
  const rows = new Map();
  for (let top = 0; ; top += 20 * ROW_H) {
    await page.evaluate((t) => { document.querySelector('.tbody').scrollTop = t; }, top);
    await page.waitForTimeout(100);
    for (const r of await page.locator('.tbody .tr').evaluateAll((els) => els.map((e) => ({
      row: e.getAttribute('data-row'), cls: e.className, pid: e.querySelector('.c-pid')?.textContent ?? '',
      ev: e.querySelector('.c-ev')?.textContent ?? '', sum: e.querySelector('.c-sum')?.textContent ?? '',
    })))) rows.set(r.row, r);
    if (top >= shown * ROW_H) break;
  }
  const calls = [...rows.values()].filter((r) => !/tr-(gap|drop|exit)/.test(r.cls));
  const problems = [];
  if (calls.length !== shown) problems.push(`read ${calls.length} rows, the page says ${shown} shown`);
  const others = [...new Set(calls.map((r) => r.ev).filter((e) => !wanted.includes(e)))];
  if (others.length) problems.push(`rows outside the filter: ${others.join(', ')}`);
  const missing = wanted.filter((w) => !calls.some((r) => r.ev === w));
  if (missing.length) problems.push(`no ${missing.join(', ')} row`);
  const notWorker = [...new Set(calls.map((r) => r.pid.split('/')[0]).filter((p) => !workers.has(p)))];
  if (notWorker.length) problems.push(`rows by pid ${notWorker.join(', ')}, not a worker (${[...workers].join(', ')})`);
  if (!calls.some((r) => r.ev === 'accept4' && r.sum.includes('10.203.0.1:'))) problems.push('no accept4 row shows 10.203.0.1:<port>');
  await page.evaluate(() => { document.querySelector('.tbody').scrollTop = 0; });
  await page.waitForTimeout(200);
  await page.screenshot({ path: screenshot });
  if (problems.length) throw new Error(problems.join('; '));
} catch (e) {
  console.error(String(e.message ?? e).split('\n')[0]);
  await page.screenshot({ path: screenshot }).catch(() => {});
  status = 1;
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(status);
