// Detached service processes: start with output to a log file, identify by pid + command line,
// stop gracefully, and check ports.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { connect } from 'node:net';

export class StackError extends Error {
  constructor(
    message: string,
    readonly logFile?: string,
  ) {
    super(logFile ? `${message}\n  see the log: ${logFile}${logTail(logFile)}` : message);
    this.name = 'StackError';
  }
}

/** The log's last lines, so that a failure on a machine nobody can log into (CI) explains itself. */
export function logTail(file: string, lines = 15): string {
  if (!existsSync(file)) return '';
  const size = statSync(file).size;
  const chunk = Buffer.alloc(Math.min(size, 16_384)); // logs can be large; the end is enough
  const fd = openSync(file, 'r');
  try {
    readSync(fd, chunk, 0, chunk.length, size - chunk.length);
  } finally {
    closeSync(fd);
  }
  const last = chunk.toString('utf8').trimEnd().split('\n').slice(-lines);
  return last.length && last[0] ? `\n  its last ${last.length} line(s):\n${last.map((l) => `    | ${l}`).join('\n')}` : '';
}

export interface StartOptions {
  cwd?: string;
  env?: Record<string, string>;
  logFile: string;
}

/** Starts a process that outlives this one; stdout and stderr go to the log file. */
export function startDetached(command: string, args: string[], opts: StartOptions): number {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new StackError(`could not start ${command}`, opts.logFile);
  child.unref();
  return child.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when pid is alive and its command line contains `marker` (guards against pid reuse). */
export function isOurProcess(pid: number | undefined, marker: string): pid is number {
  if (pid === undefined || !isAlive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true; // no procfs (macOS): trust the pid file
  return readFileSync(cmdline, 'utf8').split('\0').join(' ').includes(marker);
}

export async function stopProcess(pid: number, graceMs = 20_000): Promise<'stopped' | 'killed' | 'not running'> {
  if (!isAlive(pid)) return 'not running';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(200);
  }
  process.kill(pid, 'SIGKILL');
  // SIGKILL is not instant (a JVM unmaps gigabytes first): 'killed' must mean gone, or a caller
  // that purges the data next or checks the port would race the dying process.
  const killDeadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < killDeadline) await sleep(50);
  return 'killed';
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  what: string;
  timeoutMs: number;
  logFile?: string;
  /** Stop early (e.g. the process died). Returns a reason to fail with. */
  abort?: () => string | undefined;
}

/** Polls `probe` until it resolves truthy; fails with the last error and the log to read. */
export async function waitUntil<T>(probe: () => Promise<T | undefined>, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    const reason = opts.abort?.();
    if (reason) throw new StackError(`${opts.what}: ${reason}`, opts.logFile);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? `; last error: ${last.message}` : '';
      throw new StackError(`${opts.what} did not become ready within ${Math.round(opts.timeoutMs / 1000)} s${detail}`, opts.logFile);
    }
    await sleep(500);
  }
}
