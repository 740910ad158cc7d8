// `threads: N` steps: N processes per step, each a member of the step's group owning some of its
// partitions with its own consumer, transactional producer and transactional id
// (`<instance id>-<n>`, stable across restarts, so a restarted thread fences its predecessor) — Kafka
// Streams' num.stream.threads. Processes, not worker_threads: the librdkafka binding is not
// context-aware ("Module did not self-register" in a worker thread). The `weir run` process
// supervises them: it forwards the stop, serves their metrics summed with its own and their
// readiness, and stops everything when one fails, as a single process would. A thread whose
// supervisor dies (its IPC channel closes) stops by itself instead of running on unsupervised.
import { fork, type ChildProcess } from 'node:child_process';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import { registry } from '../observability/metrics.ts';
import type { WorkerStatus } from '../observability/server.ts';
import type { PlannedStep } from '../topology/plan.ts';

/** Set in a thread process: `<step>/<n>`. */
export const THREAD_ENV = 'WEIR_THREAD';
/** Set for a thread whose instance id derives from one the operator gave: it joins as a static member. */
export const STATIC_ENV = 'WEIR_STATIC_MEMBERSHIP';

type Metrics = Array<MetricObjectWithValues<MetricValue<string>>>;

type Message =
  | { type: 'status'; statuses: WorkerStatus[] }
  | { type: 'metrics?'; id: number }
  | { type: 'metrics'; id: number; metrics: Metrics };

interface Thread {
  step: string;
  index: number;
  proc: ChildProcess;
  statuses: WorkerStatus[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ThreadGroup {
  statuses(): WorkerStatus[];
  /** Prometheus text: this process's metrics and every thread's, summed. */
  metrics(): Promise<string>;
  /** Resolves with a description of the first thread that ended while not asked to stop. */
  failed: Promise<string>;
  stop(): Promise<void>;
}

export interface ThreadOptions {
  /** The `weir run` arguments every thread shares (files, session timeout, delivery). */
  args: string[];
  instanceId: string;
  /** The instance id was given, so the threads' ids are stable across restarts too. */
  staticMembership: boolean;
  log: Logger;
}

export function startThreads(steps: PlannedStep[], opts: ThreadOptions): ThreadGroup {
  const threads: Thread[] = [];
  let stopping = false;
  let nextId = 0;
  const waiting = new Map<number, (m: Metrics) => void>();
  for (const step of steps) {
    for (let index = 0; index < step.threads; index++) {
      const id = `${opts.instanceId}-${index}`;
      const proc = fork(process.argv[1]!, ['run', ...opts.args, '--step', step.name, '--instance-id', id, '--metrics-port', '0'], {
        env: { ...process.env, [THREAD_ENV]: `${step.name}/${index}`, [STATIC_ENV]: opts.staticMembership ? '1' : '0' },
        execArgv: process.execArgv,
        stdio: 'inherit',
      });
      const thread: Thread = {
        step: step.name,
        index,
        proc,
        // Not ready until the thread says so.
        statuses: [{ step: step.name, joined: false, partitions: 0, sinceLoopMs: 0, stuckAfterMs: Infinity, stalled: [] }],
        exit: new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal }))),
      };
      proc.on('message', (m: Message) => {
        if (m.type === 'status') thread.statuses = m.statuses;
        else if (m.type === 'metrics') waiting.get(m.id)?.(m.metrics);
      });
      threads.push(thread);
      opts.log.info({ step: step.name, thread: index, pid: proc.pid, instanceId: id }, 'thread started');
    }
  }
  // A second signal or an error exit of this process must not leave threads behind.
  const killAll = () => threads.forEach((t) => t.proc.exitCode === null && t.proc.kill('SIGKILL'));
  process.on('exit', killAll);
  const failed = Promise.race(
    threads.map((t) =>
      t.exit.then(({ code, signal }) =>
        stopping
          ? new Promise<string>(() => undefined)
          : `thread ${t.index} of step ${t.step} ended (${signal ? `signal ${signal}` : `exit code ${code}`})`,
      ),
    ),
  );
  const threadMetrics = (t: Thread) =>
    new Promise<Metrics>((resolve) => {
      if (!t.proc.connected) return resolve([]);
      const id = nextId++;
      const timer = setTimeout(() => (waiting.delete(id), resolve([])), 2_000);
      waiting.set(id, (m) => (clearTimeout(timer), waiting.delete(id), resolve(m)));
      t.proc.send({ type: 'metrics?', id } satisfies Message);
    });
  return {
    statuses: () => threads.flatMap((t) => t.statuses),
    async metrics() {
      const all = await Promise.all([registry.getMetricsAsJSON(), ...threads.map(threadMetrics)]);
      return AggregatorRegistry.aggregate(all).metrics();
    },
    failed,
    async stop() {
      stopping = true;
      for (const t of threads) if (t.proc.exitCode === null) t.proc.kill('SIGTERM');
      await Promise.all(threads.map((t) => t.exit));
      process.off('exit', killAll);
    },
  };
}

/**
 * In a thread process: report the workers' status to the supervisor every second, answer its
 * metrics requests, and stop (as on SIGTERM) when the supervisor is gone.
 */
export function serveSupervisor(statuses: () => WorkerStatus[], stop: () => void): void {
  const send = (m: Message) => process.connected && process.send!(m);
  const timer = setInterval(() => send({ type: 'status', statuses: statuses() }), 1_000);
  timer.unref();
  process.on('message', (m: Message) => {
    if (m.type === 'metrics?') void registry.getMetricsAsJSON().then((metrics) => send({ type: 'metrics', id: m.id, metrics }));
  });
  process.on('disconnect', () => {
    clearInterval(timer);
    stop();
  });
}
