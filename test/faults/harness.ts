// One scenario run: a fresh copy of the fault topology on the private stack, `weir run` processes,
// the feed and the observers; scenarios inject faults through it and record each one, with the
// moment it healed, so recovery can be measured against the observers' timelines.
import { compileTopology } from '../../src/topology/compile/index.ts';
import { formatDiagnostic } from '../../src/topology/diagnostics.ts';
import type { Plan } from '../../src/topology/plan.ts';
import { pushSchemas } from '../../src/admin/schemas/push.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import type { KafkaConnection } from '../../src/kafka/client-config.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { EVENT_SCHEMA } from '../helpers/events.ts';
import type { Received } from '../helpers/http-server.ts';
import { createSinkTables, projectOnly } from '../helpers/pipeline.ts';
import { waitFor } from '../helpers/wait.ts';
import { seededRandom, WorkerPool } from '../helpers/workers.ts';
import { CommittedReader, feed, RowPoller } from './observers.ts';
import { receiverProcess } from './receiver.ts';
import { inHost, HOST_IP } from './network.ts';
import type { FaultStack, WorkerSlot } from './stack.ts';
import { applicationLog, buildWorkload, faultTopology, type Workload } from './workload.ts';
import { AvroSerde } from '../../src/schema/serde.ts';

/** What a fault disturbs, and so which timeline shows that the pipeline moves again. */
export type Signal = 'output' | 'rows' | 'http';
/** A fault that can stall any step (a broker, a worker, its link): every step must move again. */
export const EVERY_STEP: readonly Signal[] = ['output', 'rows', 'http'];

export interface FaultEvent {
  kind: string;
  at: number;
  healedAt: number;
  /** The steps whose progress shows recovery; each must move again (or have had nothing left to do). */
  signals: readonly Signal[];
  /** Whether this fault hit what it aimed at (a leader that moved, a new controller, …), where checked. */
  hit?: boolean;
}

export interface RunOptions {
  records: number;
  keys?: number;
  /** The feed is spread over this long; faults happen meanwhile. */
  durationMs: number;
  slots: string[];
  delivery?: 'exactly-once' | 'at-least-once';
  /** Events from this share of the feed on are written with a new schema version (registered up front). */
  newSchemaFrom?: number;
  /** Extra environment of every worker (the self-checks' deliberately broken builds). */
  workerEnv?: Record<string, string>;
}

export const SESSION_TIMEOUT_MS = 6_000;

export class FaultRun {
  readonly faults: FaultEvent[] = [];
  feeding = true;
  produced = 0;
  feedDone!: Promise<void>;
  readonly rnd = seededRandom();

  private constructor(
    readonly stack: FaultStack,
    readonly plan: Plan,
    readonly id: string,
    readonly workload: Workload,
    readonly pool: WorkerPool,
    readonly http: { received: Received[] },
    readonly reader: CommittedReader,
    readonly rows: RowPoller,
    readonly opts: RunOptions,
  ) {}

  static async create(stack: FaultStack, opts: RunOptions): Promise<FaultRun> {
    const http = await receiverProcess();
    // The workers, in their namespaces, reach the receiver on the root namespace's bridge address.
    const project = projectOnly(faultTopology(http.url.replace('127.0.0.1', HOST_IP)));
    const { plan, diagnostics } = compileTopology([project.file], { root: project.root });
    if (!plan) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));
    const conn = FaultRun.connection(stack);
    const admin = KafkaAdmin.create(conn);
    try {
      await admin.createTopics(plan.topics.map((t) => ({ name: t.name, partitions: t.partitions, config: t.config })));
    } finally {
      admin.disconnect();
    }
    await pushSchemas(plan, project.root, new RegistryClient(stack.settings.SCHEMA_REGISTRY_URL), { all: true }); // the harness is every topic's producer
    await createSinkTables({ root: project.root, plan }, applicationLog(project.id), stack.settings.DATABASE_URL);
    const workload = await buildWorkload(
      `in.${project.id}`,
      opts.records,
      opts.keys ?? 300,
      stack.settings.SCHEMA_REGISTRY_URL,
      opts.newSchemaFrom === undefined ? undefined : Math.floor(opts.records * opts.newSchemaFrom),
    );
    const pool = new WorkerPool(
      { file: project.file },
      {
        env: { ...stack.workerSettings, ...opts.workerEnv },
        prefix: (slot) => inHost(stack.workerHosts.get(slot as WorkerSlot)!),
        sessionTimeout: `${SESSION_TIMEOUT_MS / 1000}s`,
        args: opts.delivery ? ['--delivery', opts.delivery] : [],
      },
    );
    const serde = new AvroSerde(new RegistryClient(stack.settings.SCHEMA_REGISTRY_URL));
    const outPartitions = Array.from({ length: plan.topics.find((t) => t.name === `out.${project.id}`)!.partitions }, (_, partition) => ({
      topic: `out.${project.id}`,
      partition,
    }));
    const reader = new CommittedReader(conn, outPartitions, async (values) => {
      await serde.prepare(values);
      return values.map((v) => (serde.decode(v, EVENT_SCHEMA.type) as { id: string }).id);
    });
    const run = new FaultRun(
      stack,
      plan,
      project.id,
      workload,
      pool,
      http,
      reader,
      new RowPoller(stack.settings.DATABASE_URL, `t_${project.id}`),
      opts,
    );
    return run;
  }

  static connection(stack: FaultStack): KafkaConnection {
    return { bootstrapServers: stack.settings.KAFKA_BOOTSTRAP_SERVERS, clientId: 'weir-faults' };
  }

  get conn(): KafkaConnection {
    return FaultRun.connection(this.stack);
  }

  topic(role: 'in' | 'out'): string {
    return `${role}.${this.id}`;
  }

  step(prefix: 'process' | 'store' | 'notify') {
    return this.plan.steps.find((s) => s.name === `${prefix}-${this.id}`)!;
  }

  /** When the feed started: fault times in the report count from here. */
  startedAt = 0;

  /**
   * Workers, observers and the feed, all running. The feed (and so every fault, which the scenarios
   * inject while it runs) starts once every step of every worker has joined its group: a worker
   * takes 15–35 s to start on the loaded 2-core machine, and a fault during that start is a
   * different scenario (seen at full size, worker-sigkill seed 624405: the first SIGKILL hit a worker
   * still starting, and its "recovery" counted the other's start and the faults after it: 65 s).
   */
  async start(): Promise<void> {
    for (const slot of this.opts.slots) this.pool.start(slot);
    await this.reader.start();
    this.rows.start();
    await this.untilJoined(this.opts.slots, 'every step of the starting workers to join its group');
    const t0 = (this.startedAt = Date.now());
    this.feedDone = feed(this.conn, this.workload.records, this.opts.durationMs, (n) => (this.produced = n)).finally(() => {
      this.feeding = false;
      this.feedMs = Date.now() - t0;
    });
  }

  feedMs = 0;

  record(kind: string, at: number, signals: Signal | readonly Signal[], healedAt = Date.now(), hit?: boolean): void {
    this.faults.push({
      kind,
      at,
      healedAt,
      signals: typeof signals === 'string' ? [signals] : signals,
      ...(hit === undefined ? {} : { hit }),
    });
  }

  /** Every slot running again without an armed crash point, then waits until all work is done. */
  async settle(timeoutMs = 240_000): Promise<void> {
    await this.feedDone;
    for (const slot of this.opts.slots) {
      await this.pool.kill(slot).catch(() => undefined);
      this.pool.start(slot);
    }
    // Running, not just spawned, and every step of each joined: the checks stop the workers next,
    // and a stop while a step still joins is a different scenario (a close during a rebalance) from
    // the one under test.
    await this.untilJoined(this.opts.slots, 'every step of the restarted workers to join its group');
    const { delivered } = this.workload;
    await waitFor(
      async () => {
        const rows = this.rows.samples.at(-1)?.rows ?? 0;
        const ids = new Set(this.http.received.filter((r) => r.status < 300).map((r) => r.id));
        return this.reader.count >= delivered.length && rows >= delivered.length && ids.size >= delivered.length;
      },
      { timeoutMs, intervalMs: 1_000, what: 'the output, the table and the HTTP receiver to hold every delivered event' },
    ).catch((err: Error) => process.stderr.write(`${err.message} (the checks below say what is missing)\n`));
  }

  /** Until each slot's current process runs and every step of it has had its first assignment (possibly empty). */
  private async untilJoined(slots: string[], what: string): Promise<void> {
    const steps = this.plan.steps.map((s) => s.name);
    const joined = (slot: string) => {
      const logs = this.pool.processes.get(slot)!.logs;
      return steps.every((step) => logs.some((l) => l.msg === 'assigned' && l.step === step));
    };
    await waitFor(() => slots.every(joined), { timeoutMs: 90_000, intervalMs: 200, what });
  }

  /** Graceful stop of the workers and observers; the exit codes. */
  async stop(): Promise<Array<number | null>> {
    const codes = await this.pool.stopAll();
    await this.reader.stop();
    await this.rows.stop();
    return codes;
  }
}
