/** x86_64 / asm-generic signal names (asm/signal.h); real-time signals print as SIGRTMIN+n. */
const NAMES = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL',
  'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT',
  'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF',
  'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

export function signalName(sig: number): string {
  if (sig > 0 && sig < NAMES.length) return NAMES[sig]!;
  if (sig >= 32 && sig <= 64) return `SIGRTMIN+${sig - 32}`;
  return `SIG${sig}`;
}

export interface WaitStatus {
  exitCode: number | null;
  signal: string | null;
  coreDumped: boolean;
}

/** Decodes a wait(2) status (task->exit_code): WIFEXITED → code, WIFSIGNALED → signal. */
export function decodeWaitStatus(ws: number): WaitStatus {
  const sig = ws & 0x7f;
  if (sig === 0) return { exitCode: (ws >> 8) & 0xff, signal: null, coreDumped: false };
  return { exitCode: null, signal: signalName(sig), coreDumped: (ws & 0x80) !== 0 };
}
