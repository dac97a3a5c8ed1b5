// End to end: the real consumer with --listen, real traced containers (runc-trace + BPF), the
// dashboard in Debian's chromium driven by playwright-core. Run by test/e2e/run.sh (root).
// Prints one line per test and "N passed, N failed" last; exits 1 on a failure.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = createRequire(join(ROOT, 'ui/package.json'))('playwright-core');
const RUNC = join(ROOT, 'build/bin/runc-trace');
const CONSUMER = join(ROOT, 'build/bin/runc-trace-consumer');
const ROOTFS = join(ROOT, 'build/test/rootfs-busybox');
const WORKLOAD = join(ROOT, 'build/test/workload');
const ARTIFACTS = join(ROOT, 'test/artifacts');
const RUNC_ROOT = '/run/runc-trace-e2e';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

mkdirSync(ARTIFACTS, { recursive: true });
const tmp = mkdtempSync('/tmp/rt-e2e-');
const out = join(tmp, 'out');
const measured = {};
const cleanups = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
async function until(what, f, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}
function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
// The container inherits runc's stdio (terminal: false): a file, not a pipe, or spawnSync would
// wait for the container to close it.
function runc(...args) {
  const log = join(tmp, 'runc.log');
  const fd = openSync(log, 'a');
  try {
    const r = spawnSync(RUNC, ['--root', RUNC_ROOT, ...args], { stdio: ['ignore', fd, fd], timeout: 60_000 });
    if (r.status !== 0) throw new Error(`runc ${args.join(' ')}: status ${r.status}: ${readFileSync(log, 'utf8').slice(-500)}`);
  } finally {
    closeSync(fd);
  }
}
function makeBundle(name, args) {
  const b = join(tmp, 'bundles', name);
  mkdirSync(b, { recursive: true });
  cpSync(ROOTFS, join(b, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  copyFileSync(WORKLOAD, join(b, 'rootfs/bin/workload'));
  spawnSync(RUNC, ['spec'], { cwd: b });
  const cfg = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'));
  cfg.annotations = { 'io.trace.enabled': 'true' };
  cfg.process.terminal = false;
  cfg.process.args = args;
  cfg.root.readonly = false;
  writeFileSync(join(b, 'config.json'), JSON.stringify(cfg, null, 2));
  return b;
}
function readTrace(file) {
  return readFileSync(join(out, file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
function httpGet(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

// ---- setup: consumer with the dashboard, browser -------------------------------------------
spawnSync('sh', ['-c', `for id in $(${RUNC} --root ${RUNC_ROOT} list -q 2>/dev/null); do ${RUNC} --root ${RUNC_ROOT} delete -f $id; done`]);
const port = await freePort();
const consumer = spawn(CONSUMER, ['--out', out, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
let consumerLog = '';
consumer.stderr.on('data', (d) => (consumerLog += d));
let stdout = '';
consumer.stdout.on('data', (d) => (stdout += d));
cleanups.push(() => consumer.kill('SIGTERM'));
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { consumer.kill('SIGKILL'); process.exit(130); });
const url = await until('the dashboard URL on stdout', () => /^dashboard: (http:\/\/\S+)$/m.exec(stdout)?.[1], 15_000);
const token = new URL(url).searchParams.get('token');
const origin = `http://127.0.0.1:${port}`;

const ctx = await chromium.launchPersistentContext(join(tmp, 'profile'), {
  executablePath: CHROMIUM, headless: true, args: FLAGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, viewport: { width: 1400, height: 900 }, acceptDownloads: true,
});
cleanups.push(() => ctx.close());
const page = ctx.pages()[0] ?? (await ctx.newPage());
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('dialog', (d) => { pageErrors.push(`dialog: ${d.message()}`); void d.dismiss(); });

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const countRecords = async () => Number(await page.textContent('[data-testid=count-records]'));
const countShown = async () => Number(await page.textContent('[data-testid=count-shown]'));
const blur = () => page.evaluate(() => document.activeElement?.blur?.());
const item = (file) => page.locator(`[data-file="${file}"]`);

// ---- tests ---------------------------------------------------------------------------------
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('requests without the token or with a wrong one are refused', async () => {
  for (const p of ['/', '/api/files', '/api/files/x.jsonl']) {
    assert((await httpGet(port, p)).status === 401, `${p} without token → 401`);
    assert((await httpGet(port, `${p}?token=wrong-token-value`)).status === 403, `${p} wrong token → 403`);
  }
  const r = await page.goto(`${origin}/?token=definitely-not-it`);
  assert(r.status() === 403, `browser: wrong token → 403, got ${r.status()}`);
  const r2 = await page.goto(`${origin}/`);
  assert(r2.status() === 401, `browser: no token → 401, got ${r2.status()}`);
});

test('another origin can use neither the API nor the WebSocket, even with the token', async () => {
  const otherPort = await freePort();
  const other = http.createServer((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end('<!doctype html><title>other</title>'); });
  await new Promise((r) => other.listen(otherPort, '127.0.0.1', r));
  try {
    await page.goto(`http://127.0.0.1:${otherPort}/`);
    const res = await page.evaluate(async ({ port, token }) => {
      const ws = await new Promise((resolve) => {
        const s = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
        s.onopen = () => resolve('open');
        s.onerror = () => resolve('refused');
      });
      let api;
      try {
        const r = await fetch(`http://127.0.0.1:${port}/api/files?token=${token}`, { mode: 'cors' });
        api = `status ${r.status}`;
      } catch {
        api = 'refused';
      }
      return { ws, api };
    }, { port, token });
    assert(res.ws === 'refused', `cross-origin WebSocket must be refused, got ${res.ws}`);
    assert(res.api === 'refused', `cross-origin fetch must fail, got ${res.api}`);
    const direct = await httpGet(port, `/api/files?token=${token}`, { Origin: `http://127.0.0.1:${otherPort}` });
    assert(direct.status === 403, `foreign Origin → 403, got ${direct.status}`);
  } finally {
    other.close();
  }
});

let liveRecords = 0;
test('a traced container shows up live, its records within a second of start', async () => {
  const b = makeBundle('e2e-live', ['/bin/workload', 'script']);
  runc('create', '-b', b, 'e2e-live');
  cleanups.push(() => spawnSync(RUNC, ['--root', RUNC_ROOT, 'delete', '-f', 'e2e-live']));
  await page.goto(url);
  await until('token moved out of the address bar', () => !page.url().includes('token='));
  await until('e2e-live listed as running', async () => (await item('e2e-live.jsonl').getAttribute('data-state').catch(() => null)) === 'running');
  await item('e2e-live.jsonl').click();
  await page.fill('[data-testid=f-text]', '/tmp/probe');
  await sleep(300);
  const t0 = Date.now();
  runc('start', 'e2e-live');
  await page.waitForFunction(() => document.querySelector('.tbody')?.textContent?.includes('/tmp/probe'), null, { timeout: 5000 });
  measured.startToFirstRowMs = Date.now() - t0;
  assert(measured.startToFirstRowMs < 1000, `records visible ${measured.startToFirstRowMs} ms after start (limit 1000)`);
  await shot('live-filtered');
  await page.fill('[data-testid=f-text]', '');
});

test('exit state appears in the list and the live view', async () => {
  const t0 = Date.now();
  await until('e2e-live exited', async () => (await item('e2e-live.jsonl').getAttribute('data-state')) === 'exited', 15_000);
  measured.exitVisibleMs = Date.now() - t0;
  const badge = await item('e2e-live.jsonl').locator('[data-testid=ct-state]').textContent();
  assert(badge === 'exited 0', `list badge: ${badge}`);
  await until('exit record in the live view', async () => (await page.locator('[data-testid=trace-exit]').count()) > 0);
  assert((await page.textContent('[data-testid=trace-exit]')).includes('status 0'), 'exit badge shows status 0');
  liveRecords = await countRecords();
  const file = readTrace('e2e-live.jsonl');
  const exit = file.at(-1);
  assert(exit.type === 'exit', 'file ends with an exit record');
  assert(liveRecords === exit.records, `live view has ${liveRecords} records, exit record says ${exit.records}`);
  await shot('live-exited');
});

test('filtering narrows the records (syscall, failed only, pid, phase, text)', async () => {
  const all = await countShown();
  await page.fill('[data-testid=f-syscall]', 'openat');
  await until('openat filter', async () => (await countShown()) < all);
  const evs = await page.locator('.tbody .tr:not(.tr-exit):not(.tr-gap):not(.tr-drop) .c-ev').allTextContents();
  assert(evs.length > 0 && evs.every((e) => e === 'openat'), `only openat rows: ${evs.slice(0, 5)}`);
  await page.check('[data-testid=f-failed]');
  await until('failed openat', async () => (await page.locator('.tbody .tr-failed').count()) >= 1);
  const txt = await page.textContent('.tbody');
  assert(txt.includes('/nonexistent/file') && txt.includes('ENOENT'), 'the failing openat of /nonexistent/file is shown');
  await page.uncheck('[data-testid=f-failed]');
  await page.fill('[data-testid=f-syscall]', '');
  await page.selectOption('[data-testid=f-phase]', 'runtime');
  await until('phase filter', async () => (await countShown()) < all);
  await page.selectOption('[data-testid=f-phase]', '');
  await page.fill('[data-testid=f-text]', '127.0.0.1:9');
  await until('address search', async () => (await page.locator('.tbody .tr .c-ev', { hasText: 'connect' }).count()) === 1);
  await page.fill('[data-testid=f-text]', '');
  await until('filters cleared', async () => (await countShown()) === all);
});

test('process tree shows the fork and exec of /bin/true under the workload', async () => {
  await blur();
  await page.keyboard.press('2');
  const tree = page.locator('[data-testid=process-tree]');
  await tree.waitFor();
  const text = await tree.textContent();
  assert(text.includes('exec /bin/workload'), 'workload exec in the tree');
  const child = tree.locator('li li', { hasText: 'exec /bin/true' });
  assert((await child.count()) >= 1, 'the /bin/true child is nested under its parent');
  assert((await child.first().textContent()).includes('exit 0'), 'the child exited 0');
  await shot('process-tree');
  await page.keyboard.press('1');
});

test('keyboard: j/k move, Enter opens the detail with decoded and raw args, Esc closes', async () => {
  await blur();
  await page.keyboard.press('g');
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('Enter');
  const drawer = page.locator('[data-testid=drawer]');
  await drawer.waitFor();
  assert((await drawer.textContent()).includes('arg0'), 'raw argument registers shown');
  await shot('detail');
  await page.keyboard.press('Escape');
  await until('drawer closed', async () => (await drawer.count()) === 0);
});

test('replaying the recorded file shows the same record count (server and from disk)', async () => {
  await item('e2e-live.jsonl').click(); // exited: opens the recorded file
  await until('recorded badge', async () => (await page.textContent('.trace-head')).includes('recorded'));
  await until('replay loaded', async () => (await countRecords()) === liveRecords);
  const file = join(out, 'e2e-live.jsonl');
  await page.setInputFiles('[data-testid=load-file]', file);
  await until('disk replay loaded', async () => (await page.textContent('.trace-head')).includes('from disk') && (await countRecords()) === liveRecords);
  // malformed lines: reported with their line numbers, the rest loads
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.splice(3, 0, '{"type":"syscall","seq":"x"}');
  lines.splice(7, 0, 'garbage <script>window.__pwned=9</script>');
  const broken = join(tmp, 'broken.jsonl');
  writeFileSync(broken, lines.join('\n'));
  await page.setInputFiles('[data-testid=load-file]', broken);
  await page.locator('[data-testid=bad-lines]').waitFor();
  const bad = await page.textContent('[data-testid=bad-lines]');
  assert(bad.includes('2 malformed line(s)') && bad.includes('line 4:') && bad.includes('line 8:'), `bad lines reported: ${bad.slice(0, 200)}`);
  assert((await countRecords()) === liveRecords, 'the rest of the file loaded');
  await shot('replay-malformed');
});

test('export downloads the whole trace and the filtered view', async () => {
  await item('e2e-live.jsonl').click();
  await until('recorded loaded', async () => (await page.textContent('.trace-head')).includes('recorded') && (await countRecords()) === liveRecords);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-all]')]);
  const whole = readFileSync(await dl.path(), 'utf8');
  assert(whole === readFileSync(join(out, 'e2e-live.jsonl'), 'utf8'), 'export all = the recorded file, byte for byte');
  await page.fill('[data-testid=f-syscall]', 'openat');
  await until('filter', async () => (await countShown()) < liveRecords);
  const [dl2] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-view]')]);
  const recs = readFileSync(await dl2.path(), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert(recs[0].type === 'header' && recs.slice(1).every((r) => r.syscall === 'openat' || r.type === 'exit' || r.type === 'gap'), 'filtered export');
  await page.fill('[data-testid=f-syscall]', '');
});

// The container list arrives over HTTP, the live socket is opened by a Web Worker: on a busy
// machine the list wins and a user can click a running container before the socket is up. That
// container must still be followed live (subscribed once the socket opens), not shown as the few
// lines its file had at the click. The worker's script is held back to make the race certain.
test('a running container clicked before the live connection is up is followed live', async () => {
  const b = makeBundle('e2e-early', ['/bin/workload', 'script']);
  runc('create', '-b', b, 'e2e-early');
  cleanups.push(() => spawnSync(RUNC, ['--root', RUNC_ROOT, 'delete', '-f', 'e2e-early']));
  const workerScript = /\/assets\/feed\.worker-[^/]*\.js$/;
  let release;
  const gate = new Promise((r) => (release = r));
  let held = false;
  await page.route(workerScript, async (route) => {
    held = true;
    await gate;
    await route.continue();
  });
  try {
    await page.goto(url);
    await until('e2e-early listed as running', async () => (await item('e2e-early.jsonl').getAttribute('data-state').catch(() => null)) === 'running');
    await until('the feed worker script requested (and held)', () => held);
    const connBefore = await page.textContent('[data-testid=conn]');
    assert(connBefore !== 'live', `the live connection must not be up yet, it says ${connBefore}`);
    await item('e2e-early.jsonl').click();
    release();
    await until('connected', async () => (await page.textContent('[data-testid=conn]')) === 'live');
    runc('start', 'e2e-early');
    await until('exit record in the live view', async () => (await page.locator('[data-testid=trace-exit]').count()) > 0, 15_000);
    const exit = readTrace('e2e-early.jsonl').at(-1);
    assert(exit.type === 'exit', 'file ends with an exit record');
    assert((await countRecords()) === exit.records, `live view has ${await countRecords()} records, exit record says ${exit.records}`);
    assert((await page.textContent('.trace-head')).includes('live'), 'the view is the live one');
  } finally {
    release();
    await page.unroute(workerScript);
  }
});

// Hostile strings, all produced by a real container: markup, script tags, quotes, control
// characters, a right-to-left override and bytes that are not UTF-8, in comm, paths and argv.
const EVIL_SCRIPT = [
  'cd /tmp',
  `cat '/tmp/<img src=x onerror="window.__pwned=1">' 2>/dev/null`,
  `cat '/tmp/<script>window.__pwned=2</script>' 2>/dev/null`,
  `cat "$(printf '/tmp/ctl\\033[31m\\001\\177x')" 2>/dev/null`,
  `cat "$(printf '/tmp/bad\\377\\376utf8')" 2>/dev/null`,
  `cat "$(printf '/tmp/\\342\\200\\256gnp.exe')" 2>/dev/null`,
  `ln -s /bin/busybox '/tmp/<b>"q'"'"'x'`,
  `'/tmp/<b>"q'"'"'x' true 2>/dev/null`,
  `ln -s /bin/busybox '/tmp/<svg onload=window.__pwned=4>'`,
  `'/tmp/<svg onload=window.__pwned=4>' true 2>/dev/null`,
  `/bin/true '<script>window.__pwned=3</script>' "$(printf 'a\\nb\\tc\\033')" "\\"quoted\\" 'single'" '${'W'.repeat(300)}'`,
  'exit 0',
].join('\n');

test('hostile comm, paths and argv render inertly (no script runs, layout holds)', async () => {
  const b = makeBundle('e2e-evil', ['/bin/sh', '-c', EVIL_SCRIPT]);
  cleanups.push(() => spawnSync(RUNC, ['--root', RUNC_ROOT, 'delete', '-f', 'e2e-evil']));
  runc('run', '-b', b, 'e2e-evil');
  await until('e2e-evil exited', async () => (await item('e2e-evil.jsonl').getAttribute('data-state').catch(() => null)) === 'exited', 15_000);
  await item('e2e-evil.jsonl').click();
  await until('evil loaded', async () => (await countRecords()) > 0 && (await page.textContent('.trace-head')).includes('recorded'));
  await page.fill('[data-testid=f-syscall]', 'openat,execve,exec');
  // Each probe: narrow the table to the rows of one hostile string, then read what is rendered.
  const probe = async (needle) => {
    await page.fill('[data-testid=f-text]', needle);
    await until(`rows for ${needle}`, async () => (await page.locator('.tbody .tr-failed, .tbody .tr:not(.tr-exit):not(.tr-gap)').count()) > 0);
    await sleep(100);
    return page.textContent('.tbody');
  };
  assert((await probe('onerror')).includes('<img src=x onerror='), 'img markup shown as text');
  assert((await probe('__pwned=2')).includes('<script>window.__pwned=2</script>'), 'script tag in a path shown as text');
  const ctl = await probe('/tmp/ctl');
  assert(ctl.includes('\\e[31m') && ctl.includes('\\x01') && ctl.includes('\\x7f'), `control characters shown as escapes: ${ctl.slice(0, 300)}`);
  assert((await probe('/tmp/bad')).includes('\\ufffd'), 'invalid UTF-8 (replacement characters) made visible');
  assert((await probe('gnp.exe')).includes('\\u202e'), 'right-to-left override made visible');
  await probe('<b>"q');
  const comms = await page.locator('.tbody .c-comm').allTextContents();
  assert(comms.some((c) => c.startsWith('<b>"q\'x')), `hostile comm shown as text: ${[...new Set(comms)].join(' | ')}`);
  await page.fill('[data-testid=f-text]', '__pwned=3');
  await sleep(200);
  // Open the detail of the execve with hostile argv and the tree (more render paths).
  await page.locator('.tbody .tr', { hasText: 'window.__pwned=3' }).first().click();
  await page.locator('[data-testid=drawer]').waitFor();
  await blur();
  await page.keyboard.press('2');
  await page.locator('[data-testid=process-tree]').waitFor();
  await page.keyboard.press('3');
  await sleep(200);
  await page.keyboard.press('1');
  const pwned = await page.evaluate(() => window.__pwned);
  assert(pwned === undefined, `window.__pwned = ${pwned}`);
  const injected = await page.evaluate(() => [
    ...document.querySelectorAll('#root img, #root script, #root svg, #root iframe, #root object, #root embed'),
    ...[...document.querySelectorAll('#root *')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))),
  ].map((e) => e.outerHTML.slice(0, 80)));
  assert(injected.length === 0, `injected element(s) in the page: ${injected.join(' | ')}`);
  const layout = await page.evaluate(() => ({
    overflowX: document.documentElement.scrollWidth - window.innerWidth,
    rowHeights: [...document.querySelectorAll('.tbody .tr')].map((e) => e.getBoundingClientRect().height),
  }));
  assert(layout.overflowX <= 0, `page wider than the window by ${layout.overflowX}px`);
  assert(layout.rowHeights.every((h) => h === 22), `rows keep their height: ${[...new Set(layout.rowHeights)]}`);
  await page.fill('[data-testid=f-text]', '');
  await page.fill('[data-testid=f-syscall]', 'openat,execve,exec');
  await page.locator('.tbody .tr', { hasText: 'window.__pwned=3' }).first().click();
  await shot('hostile');
  await page.fill('[data-testid=f-syscall]', '');
  assert(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);
});

test('the consumer sends a shutdown notice and the page says so', async () => {
  await page.goto(`${origin}/`); // the cookie authenticates a reload
  await until('connected', async () => (await page.textContent('[data-testid=conn]')) === 'live');
  consumer.kill('SIGTERM');
  await until('shutdown shown', async () => ((await page.textContent('.top')) ?? '').includes('consumer shut down'), 5000);
  await shot('shutdown');
});

// ---- run -----------------------------------------------------------------------------------
let passed = 0;
let failed = 0;
for (const t of tests) {
  const t0 = Date.now();
  try {
    let timer;
    await Promise.race([t.fn(), new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('test timed out after 60 s')), 60_000); })]);
    clearTimeout(timer);
    passed++;
    console.log(`ok - ${t.name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${t.name}\n  ${String(e.stack ?? e).split('\n').slice(0, 3).join('\n  ')}`);
    await shot(`FAILED-${tests.indexOf(t)}`).catch(() => {});
  }
}
for (const c of cleanups.reverse()) {
  try {
    await c();
  } catch {}
}
if (failed > 0) console.log(`consumer log:\n${consumerLog.slice(-3000)}`);
console.log(`measured: ${JSON.stringify(measured)}`);
if (process.env.KEEP !== '1') rmSync(tmp, { recursive: true, force: true });
console.log(`dashboard e2e: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
