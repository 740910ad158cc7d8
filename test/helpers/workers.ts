// `weir run` processes for fault tests: started per slot (a stable --instance-id), killed for real,
// restarted, and stopped gracefully at the end. Their pino logs are kept for assertions.
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';
import type { TestPipeline } from './pipeline.ts';
import { services } from './services.ts';
import { waitFor } from './wait.ts';

const WEIR = fileURLToPath(new URL('../../bin/weir.js', import.meta.url));
const all = new Set<ChildProcess>();
afterEach(() => {
  for (const p of all) p.kill('SIGKILL');
  all.clear();
});

export interface WorkerProcess {
  slot: string;
  proc: ChildProcess;
  logs: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
  /** When it was spawned, and when it ended (for fault timelines). */
  startedAt: number;
  exitedAt?: number;
}

const isLive = (w: WorkerProcess) => w.proc.exitCode === null && w.proc.signalCode === null;

export class WorkerPool {
  readonly processes = new Map<string, WorkerProcess>();
  readonly history: WorkerProcess[] = [];
  kills = 0;

  constructor(
    private readonly pipeline: Pick<TestPipeline, 'file'>,
    private readonly opts: {
      env?: Record<string, string>;
      args?: string[];
      sessionTimeout?: string;
      /** A command that runs the worker, e.g. inside a network namespace (`ip netns exec` keeps the pid). */
      prefix?: (slot: string) => string[];
    } = {},
  ) {}

  start(slot: string, env: Record<string, string> = {}): WorkerProcess {
    const s = services();
    const [command, ...prefix] = [...(this.opts.prefix?.(slot) ?? []), process.execPath];
    const proc = spawn(
      command!,
      [
        ...prefix,
        WEIR,
        'run',
        this.pipeline.file,
        '--instance-id',
        slot,
        '--session-timeout',
        this.opts.sessionTimeout ?? '6s',
        ...(this.opts.args ?? []),
      ],
      {
        env: {
          ...process.env,
          ...s,
          WEIR_ENV_FILE: '/nonexistent',
          WEIR_LOG_LEVEL: 'info',
          WEIR_METRICS_PORT: '0',
          ...this.opts.env,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    all.add(proc);
    const w: WorkerProcess = {
      slot,
      proc,
      logs: [],
      startedAt: Date.now(),
      exited: new Promise((r) => proc.on('exit', (code) => (all.delete(proc), (w.exitedAt = Date.now()), r(code)))),
    };
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let entry: Record<string, unknown>;
        try {
          const parsed: unknown = JSON.parse(line);
          entry = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : { msg: line };
        } catch {
          entry = { msg: line };
        }
        // When the harness read the line: against the line's own time, a post-mortem sees how far reading lagged.
        entry.receivedAt = Date.now();
        w.logs.push(entry);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => w.logs.push({ stderr: d.toString() }));
    this.processes.set(slot, w);
    this.history.push(w);
    return w;
  }

  async kill(slot: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const w = this.processes.get(slot);
    if (!w || !isLive(w)) return;
    w.proc.kill(signal);
    if (signal === 'SIGKILL') this.kills++;
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await w.exited;
  }

  alive(slot: string): boolean {
    const w = this.processes.get(slot);
    return !!w && isLive(w);
  }

  /** Graceful stop of everything still running; returns the exit codes. */
  async stopAll(boundMs = 90_000): Promise<Array<number | null>> {
    // weir run stops gracefully on SIGTERM once it logged 'running: …'; before, the signal's default
    // action ends it (exit code null). Seen in CI: a pair restarted just before the stop, the output
    // already complete, both ended by the signal. Each gets until it started (or exited) first.
    const handlesSignals = (w: WorkerProcess) =>
      !isLive(w) || w.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('running:'));
    await waitFor(() => [...this.processes.values()].every(handlesSignals), {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'every worker started',
    }).catch(
      () => undefined, // a worker stuck starting is stopped anyway; its exit code tells
    );
    const running = [...this.processes.values()].filter(isLive);
    for (const w of running) w.proc.kill('SIGTERM');
    // weir run exits by itself within 30 s of SIGTERM; one that does not is a failure to report, not
    // a suite that hangs: SIGKILL it (its exit code is then null) and say which and what it last did.
    const bound = setTimeout(() => {
      const stuck = running.filter(isLive);
      process.stderr.write(`${stuck.length} process(es) still running ${boundMs} ms after SIGTERM: SIGKILL\n${this.dump(30)}\n`);
      for (const w of stuck) {
        // Where its threads wait (when gdb is installed): a stop stuck in native code shows there.
        const gdb = spawnSync(
          'gdb',
          ['-p', String(w.proc.pid), '-batch', '-ex', 'thread 1', '-ex', 'bt 30', '-ex', 'thread apply all bt 8'],
          {
            encoding: 'utf8',
            timeout: 30_000,
          },
        );
        if (gdb.stdout) process.stderr.write(`native stacks of slot ${w.slot} (pid ${w.proc.pid}):\n${gdb.stdout.slice(0, 40_000)}\n`);
        w.proc.kill('SIGKILL');
      }
    }, boundMs);
    try {
      return await Promise.all(running.map((w) => w.exited));
    } finally {
      clearTimeout(bound);
    }
  }

  /** The last log lines of each process, for a failing test's output. */
  dump(lines = 15): string {
    return this.history
      .map(
        (w, i) =>
          `--- process ${i} (slot ${w.slot}, exit ${w.proc.exitCode ?? w.proc.signalCode ?? 'running'})\n${w.logs
            .slice(-lines)
            .map((l) => JSON.stringify(l).slice(0, 400))
            .join('\n')}`,
      )
      .join('\n');
  }

  /** Log lines of every process that ever ran, matching `msg`. */
  logged(msg: string | RegExp): Array<Record<string, unknown>> {
    return this.history.flatMap((w) =>
      w.logs.filter((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg ?? l.stderr ?? '')))),
    );
  }
}

/** Deterministic randomness for fault schedules; the seed is printed so a run can be replayed. */
export function seededRandom(seed = Number(process.env.WEIR_FAULT_SEED ?? Date.now() % 1_000_000)): {
  seed: number;
  next: () => number;
  int: (lo: number, hi: number) => number;
} {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}
