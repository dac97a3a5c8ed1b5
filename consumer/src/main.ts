/**
 * runc-trace-consumer --out DIR [options]
 * runc-trace-consumer decode-golden FILE [--container ID] [--init-pid PID]
 *
 * Discovers traced containers from the state files runc-trace-bpf writes
 * (/run/runc-trace/containers/<id>.json), drains each one's pinned ring buffer and writes
 * DIR/<id>.jsonl (schema v1, docs/SCHEMA.md). Containers deleted while no consumer ran left a spill
 * file (spill.ts), imported at startup and on every scan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BootClock } from './clock.js';
import { TracedContainer, tenantKey, type ContainerDeps } from './container.js';
import { decodeRecord, RecordView } from './decode.js';
import { MappedRingbuf, sampleClocks, SlotsMap, tryLockExclusive } from './libbpf.js';
import { RingbufReader } from './ringbuf.js';
import { ContainerState } from './schema.js';
import { importSpills } from './spill.js';
import { CONSUMER_NAME } from './version.js';
import { verifyMain } from './verify.js';
import { configureSeal, prepareOutDir } from './writer.js';
import { dashboardFlags, startDashboardFromFlags, type DashboardFlags } from './server/cli.js';

const USAGE = `usage:
  runc-trace-consumer --out DIR [--state-dir DIR] [--bpffs DIR] [--spill-dir DIR] [--interval MS] [--window MS] [--validate]
                      [--listen HOST:PORT [--listen-any-address] [--token TOKEN] [--ui-dir DIR]]
  runc-trace-consumer decode-golden FILE [--container ID] [--init-pid PID]
  runc-trace-consumer verify [--partial] FILE...   # hash chain and seal; exit 1 names the first bad line
  runc-trace-consumer --version`;

interface Options {
  out: string;
  stateDir: string;
  bpffs: string;
  spillDir: string;
  intervalMs: number;
  windowMs: number;
  validate: boolean;
  dashboard: DashboardFlags;
}

function log(msg: string): void {
  process.stderr.write(`runc-trace-consumer: ${msg}\n`);
}

function die(msg: string): never {
  log(msg);
  process.exit(2);
}

function parseFlags(argv: string[], known: Record<string, 'value' | 'bool'>): { flags: Map<string, string>; rest: string[] } {
  const flags = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const kind = known[name];
    if (kind === undefined) die(`unknown option --${name}\n${USAGE}`);
    if (kind === 'bool') flags.set(name, 'true');
    else if (eq >= 0) flags.set(name, a.slice(eq + 1));
    else if (i + 1 < argv.length) flags.set(name, argv[++i]!);
    else die(`--${name} needs a value`);
  }
  return { flags, rest };
}

function positiveInt(v: string | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) die(`--${name}: not a positive integer: ${v}`);
  return n;
}

/** Reads a state file; null when it vanished meanwhile or is not (yet) valid. */
function readState(file: string): ContainerState | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const res = ContainerState.safeParse(JSON.parse(text));
    if (res.success) return res.data;
    log(`${file}: ignored: ${res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  } catch (e) {
    log(`${file}: ignored: ${(e as Error).message}`);
  }
  return null;
}

/** One consumer per host: see tryLockExclusive. The fd (O_CLOEXEC, as libuv opens all) stays open and locked until exit. */
function lockConsumer(stateDir: string): void {
  const lockPath = path.join(path.dirname(stateDir), 'consumer.lock');
  fs.mkdirSync(path.dirname(lockPath), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(lockPath, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  if (!tryLockExclusive(fd)) {
    fs.closeSync(fd);
    throw new Error(`another runc-trace-consumer is running (it holds ${lockPath}); one consumer per host`);
  }
}

async function run(opts: Options): Promise<void> {
  lockConsumer(opts.stateDir);
  prepareOutDir(opts.out);
  // Exit records carry digests of the runtime and the BPF helper installed beside this consumer.
  const bin = path.resolve(path.dirname(process.argv[1] ?? '.'), '../../bin');
  configureSeal({ runtimeBinary: path.join(bin, 'runc-trace'), bpfBinary: path.join(bin, 'runc-trace-bpf'), log });
  const dashboard = await startDashboardFromFlags(opts.dashboard, opts.out, log); // before any writer opens
  const clock = new BootClock(sampleClocks);
  let slots: SlotsMap | null = null;
  const slotsPath = path.join(opts.bpffs, 'slots');
  const lookupSlot = (s: ContainerState): ReturnType<SlotsMap['lookup']> => {
    if (slots === null) {
      try {
        slots = SlotsMap.open(slotsPath);
      } catch {
        return null; // not pinned (yet): gaps are reported as unaccounted
      }
    }
    try {
      return slots.lookup(s.slot, s.gen, Number(s.cgroup_id));
    } catch {
      return null;
    }
  };
  const slotCounters: ContainerDeps['slotCounters'] = (s) => {
    const hit = lookupSlot(s);
    if (hit !== null) return hit;
    // Our fd may name a map that is no longer pinned: disarming the last container unloads
    // everything and the next arm pins a new `slots`. Reading the old one would leave every
    // later container without counters (its gaps unaccounted). Reopen and look again.
    (slots as SlotsMap | null)?.close();
    slots = null;
    return lookupSlot(s);
  };
  const deps: ContainerDeps = {
    outDir: opts.out,
    clock,
    openRing(p) {
      const m = MappedRingbuf.openPinned(p);
      return { reader: new RingbufReader(m.consumerPage, m.producerAndData, m.size, m.pageSize), close: () => m.close() };
    },
    slotCounters,
    windowMs: opts.windowMs,
    // Records waiting behind a hole (a dropped record) until the window closes it. Reordering between
    // CPUs is a few records deep; what waits beyond that is behind records the kernel dropped, and
    // 65,536 of them made most of the consumer's RSS under overload (docs/PERFORMANCE.md).
    maxPending: 16384,
    validate: opts.validate,
    log,
  };

  const active = new Map<string, TracedContainer>(); // by state file path
  const finished = new Set<string>(); // tenant keys finished while their state file still exists
  const failed = new Map<string, string>(); // state file → tenant key that could not be opened
  // Tenants read from their live ring: a spill of theirs holds nothing this run did not read.
  const tracedLive = new Set<string>();
  const failedSpills = new Set<string>();
  const spillDirs = { spillDir: opts.spillDir, lostDir: path.join(path.dirname(opts.stateDir), 'lost') };
  // A host that ran traced containers with no consumer may hold hundreds of spills (up to a GiB):
  // they are imported SPILL_SLICE_MS at a time, after each drain of the live rings, not in one go
  // that would leave live rings undrained until their buffers overflow.
  const SPILL_SLICE_MS = 50;
  let spillsPending = false;
  const importSpillSlice = (now: number, retryFailed: boolean): void => {
    spillsPending = importSpills(spillDirs, deps, tracedLive, failedSpills, now, performance.now() + SPILL_SLICE_MS, retryFailed).more;
  };

  const scan = (): void => {
    let names: string[];
    try {
      names = fs.readdirSync(opts.stateDir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    } catch {
      names = [];
    }
    const now = performance.now();
    const present = new Set<string>();
    for (const name of names) {
      const file = path.join(opts.stateDir, name);
      const state = readState(file);
      if (state === null) continue;
      const key = tenantKey(state);
      present.add(key);
      const cur = active.get(file);
      if (cur !== undefined) {
        if (cur.key === key) continue;
        cur.finish(now); // the id was disarmed and re-armed between two scans
        active.delete(file);
        log(`${cur.state.id}: finished (re-armed) → ${cur.file}`);
      }
      if (finished.has(key) || failed.get(file) === key) continue;
      try {
        const c = new TracedContainer(state, deps);
        active.set(file, c);
        tracedLive.add(key);
        if (tracedLive.size > 65536) tracedLive.delete(tracedLive.values().next().value!);
        log(`${state.id}: tracing → ${c.file}`);
      } catch (e) {
        failed.set(file, key);
        log(`${state.id}: ${(e as Error).message}`);
      }
    }
    for (const [file, c] of active) {
      if (!present.has(c.key)) {
        c.finish(now);
        active.delete(file);
        log(`${c.state.id}: finished (disarmed) → ${c.file}`);
      }
    }
    for (const k of finished) if (!present.has(k)) finished.delete(k);
    for (const [f, k] of failed) if (!present.has(k)) failed.delete(f);
    // After the live containers: a spill of one that was just disarmed is then known as read.
    importSpillSlice(now, true);
  };

  const tick = (): void => {
    const now = performance.now();
    clock.resample();
    for (const [file, c] of active) {
      c.tick(now);
      if (c.done) {
        c.finish(now);
        active.delete(file);
        finished.add(c.key);
        log(`${c.state.id}: finished (init exited) → ${c.file}`);
      }
    }
    if (spillsPending) importSpillSlice(now, false);
  };

  let scanQueued = false;
  const queueScan = (): void => {
    if (scanQueued) return;
    scanQueued = true;
    setTimeout(() => {
      scanQueued = false;
      scan();
    }, 5);
  };
  let watcher: fs.FSWatcher | null = null;
  const watch = (): void => {
    if (watcher !== null) return;
    try {
      watcher = fs.watch(opts.stateDir, queueScan);
      watcher.on('error', () => {
        watcher?.close();
        watcher = null;
      });
    } catch {
      watcher = null; // directory not there yet: the periodic rescan retries
    }
  };

  scan();
  watch();
  const tickTimer = setInterval(tick, opts.intervalMs);
  const scanTimer = setInterval(() => {
    watch();
    scan();
  }, 500);

  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      log(`${sig}: flushing ${active.size} container(s) without exit records`);
      clearInterval(tickTimer);
      clearInterval(scanTimer);
      watcher?.close();
      const now = performance.now();
      for (const c of active.values()) c.stop(now);
      active.clear();
      (slots as SlotsMap | null)?.close();
      if (dashboard === null) resolve();
      else void dashboard.close().then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** Decodes a file of back-to-back records (as `runc-trace-bpf golden` writes) to JSONL on stdout. */
function decodeGolden(file: string, container: string, initPid: number): void {
  const data = fs.readFileSync(file);
  const ab = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const view = new RecordView(ab);
  const ctx = { container, initPid, clock: BootClock.fixed(0) };
  const out: string[] = [];
  for (let off = 0; off + 8 <= data.length; ) {
    const size = view.dv.getUint32(off + 4, true);
    if (size === 0) break;
    const rec = decodeRecord(view, off, Math.min(size, data.length - off), ctx);
    if (rec !== null) out.push(JSON.stringify(rec));
    off += (size + 7) & ~7;
  }
  process.stdout.write(out.join('\n') + (out.length > 0 ? '\n' : ''));
}

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--version') {
    process.stdout.write(CONSUMER_NAME + '\n');
    return;
  }
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (argv[0] === 'decode-golden') {
    const { flags, rest } = parseFlags(argv.slice(1), { container: 'value', 'init-pid': 'value' });
    if (rest.length !== 1) die(USAGE);
    decodeGolden(rest[0]!, flags.get('container') ?? 'golden', Number(flags.get('init-pid') ?? 0));
    return;
  }
  if (argv[0] === 'verify') {
    const { flags, rest } = parseFlags(argv.slice(1), { partial: 'bool' });
    if (rest.length === 0) die(USAGE);
    process.exit(verifyMain(rest, flags.has('partial')));
  }
  const { flags, rest } = parseFlags(argv, {
    out: 'value',
    'state-dir': 'value',
    bpffs: 'value',
    'spill-dir': 'value',
    interval: 'value',
    window: 'value',
    validate: 'bool',
    ...dashboardFlags,
  });
  if (rest.length > 0) die(`unexpected argument ${rest[0]}\n${USAGE}`);
  const out = flags.get('out');
  if (out === undefined) die(`--out DIR is required\n${USAGE}`);
  await run({
    out,
    stateDir: flags.get('state-dir') ?? '/run/runc-trace/containers',
    bpffs: flags.get('bpffs') ?? '/sys/fs/bpf/runc-trace',
    spillDir: flags.get('spill-dir') ?? '/var/lib/runc-trace/spill',
    intervalMs: positiveInt(flags.get('interval'), 20, 'interval'),
    windowMs: positiveInt(flags.get('window'), 100, 'window'),
    validate: flags.get('validate') === 'true',
    dashboard: { listen: flags.get('listen'), anyAddress: flags.has('listen-any-address'), token: flags.get('token'), uiDir: flags.get('ui-dir') },
  });
}

main(process.argv.slice(2)).catch((e: unknown) => {
  // Expected failures (bad flags, a second consumer, unusable --out) read as one line; a bug keeps its stack.
  log(e instanceof Error && !(e instanceof TypeError || e instanceof RangeError) ? e.message : ((e as Error).stack ?? String(e)));
  process.exit(1);
});
