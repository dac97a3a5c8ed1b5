// The CLI end to end without the kernel side: a real pinned BPF ring buffer (empty) and state
// files as runc-trace-bpf writes them. Needs root and bpffs; skipped otherwise.
import { unchained } from './unchain.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

let lib: typeof import('../src/libbpf.js') | null = null;
let pinDir = '';
try {
  lib = await import('../src/libbpf.js');
  pinDir = mkdtempSync('/sys/fs/bpf/rt-consumer-cli-');
  lib.closeFd(lib.createRingbuf(1 << 16, join(pinDir, 'rb')));
} catch {
  lib = null;
}
if (lib === null) console.warn('CLI test SKIPPED: needs root, libbpf and bpffs at /sys/fs/bpf');

const MAIN = new URL('../src/main.ts', import.meta.url).pathname;

async function until<T>(what: string, f: () => T | undefined | false, ms = 10000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const readLines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => unchained(JSON.parse(l))) : []);

describe.skipIf(lib === null)('runc-trace-consumer --out DIR', () => {
  const root = mkdtempSync(join(tmpdir(), 'rt-cli-'));
  const stateDir = join(root, 'containers');
  const out = join(root, 'out');
  let child: ChildProcess | null = null;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(pinDir, { recursive: true, force: true });
  });

  const writeState = (gen: number) => {
    const s = { id: 'box', slot: 1, gen, cgroup_id: 777, cgroup_path: '/sys/fs/cgroup/box', init_pid: 4321, ringbuf: join(pinDir, 'rb'),
      ringbuf_size: 65536, armed_boot_ns: 1_000_000_000, abi: 1, meta: { bundle: '/b/box', annotations: { a: 'b' }, runtime: 'runc-trace test' } };
    writeFileSync(join(stateDir, '.box.json.tmp'), JSON.stringify(s));
    renameSync(join(stateDir, '.box.json.tmp'), join(stateDir, 'box.json'));
  };

  it('follows arm, disarm, re-arm under the same id, and SIGTERM', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(stateDir);
    writeState(1); // armed before the consumer starts
    let stderr = '';
    child = spawn('node', ['--import', 'tsx', MAIN, '--out', out, '--state-dir', stateDir, '--bpffs', join(root, 'nobpffs'),
      '--spill-dir', join(root, 'spill'), '--interval', '10'], {
      cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (d) => (stderr += d));
    const file = join(out, 'box.jsonl');
    const hdr = await until('header', () => readLines(file)[0]);
    expect(hdr).toMatchObject({ type: 'header', v: 1, container: 'box', bundle: '/b/box', annotations: { a: 'b' }, runtime: 'runc-trace test', cgroup_id: 777, init_pid: 4321, gen: 1 });
    expect(statSync(out).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    unlinkSync(join(stateDir, 'box.json')); // disarm
    const last = await until('exit record', () => readLines(file).find((r) => r.type === 'exit'));
    expect(last).toEqual({ type: 'exit', container: 'box', status: null, signal: null, records: 0, lost: 0 });

    writeState(2); // a new container reusing the id
    await until('rotation', () => existsSync(join(out, 'box.1.jsonl')) && readLines(file)[0]?.gen === 2);
    expect(readLines(join(out, 'box.1.jsonl')).map((r) => r.type)).toEqual(['header', 'exit']);

    child.kill('SIGTERM');
    const code = await new Promise((r) => child!.on('exit', r));
    expect(code, stderr).toBe(0);
    expect(readLines(file).map((r) => r.type)).toEqual(['header']); // still running: no exit record
    expect(stderr).toMatch(/SIGTERM: flushing 1 container/);
    expect(readdirSync(out).sort()).toEqual(['box.1.jsonl', 'box.jsonl']);
  }, 30000);
});
