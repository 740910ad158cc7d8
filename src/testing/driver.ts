// TopologyTestDriver: runs a topology's real workers — the same loop, strategies, routing, retry
// and DLQ code as `weir run` — over an in-memory cluster, an in-memory registry, a virtual clock,
// an in-memory Postgres table and a scripted HTTP receiver. No broker, no registry, no database.
import { pino } from 'pino';
import { parseDuration } from '../topology/spec/index.ts';
import { compileTopology } from '../topology/compile/index.ts';
import { formatDiagnostic } from '../topology/diagnostics.ts';
import type { Plan, PlannedStep } from '../topology/plan.ts';
import type { Header } from '../kafka/types.ts';
import { Worker } from '../runtime/worker.ts';
import { schemaFile } from '../schema/codecs.ts';
import { AvroSerde } from '../schema/serde.ts';
import { httpSender } from '../sinks/http.ts';
import { VirtualClock } from './clock.ts';
import { MemoryCluster } from './memory/cluster.ts';
import { MemoryRegistry } from './memory/registry.ts';
import { TopicCodecs, type DecodedRecord, type DlqEntry, type RetryEntry, type TestRecord } from './records.ts';
import { ScriptedHttp } from './sinks/http.ts';
import { MemoryPostgresSink, type TableRow } from './sinks/postgres.ts';

export interface DriverOptions {
  /** The topology file; schemas and transforms resolve from its project root, as for `weir run`. */
  topology: string;
  /** Values for `${VAR}` in the topology (default: none, so `${VAR:-default}` takes its default). */
  env?: Record<string, string | undefined>;
  /** Steps to run; default: all. */
  steps?: string[];
  /** Where the virtual clock starts (epoch ms); default 2026-01-01T00:00:00Z. */
  startTime?: number;
}

/** Bounds a run that never settles (a record circling forever): a bug to report, not to wait out. */
const MAX_ADVANCES_PER_WORKER = 100_000;

export class TopologyTestDriver {
  readonly http = new ScriptedHttp();

  private constructor(
    readonly plan: Plan,
    readonly clock: VirtualClock,
    readonly cluster: MemoryCluster,
    private readonly workers: Worker[],
    private readonly codecs: TopicCodecs,
    private readonly tables: Map<string, MemoryPostgresSink>,
    http: ScriptedHttp,
  ) {
    this.http = http;
  }

  static async create(opts: DriverOptions): Promise<TopologyTestDriver> {
    const compiled = compileTopology([opts.topology], { env: opts.env ?? {} });
    const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
    if (!compiled.plan || errors.length) throw new Error(`${opts.topology} does not compile:\n${errors.map(formatDiagnostic).join('\n')}`);
    const { plan, root } = compiled;
    const clock = new VirtualClock(opts.startTime ?? Date.UTC(2026, 0, 1));
    const cluster = new MemoryCluster(clock);
    const registry = new MemoryRegistry();
    for (const t of plan.topics) {
      cluster.createTopic(t.name, t.partitions);
      for (const part of ['key', 'value'] as const) {
        const ref = t[part];
        if (ref.format === 'avro') registry.register(`${t.name}-${part}`, schemaFile(root, ref.schema).text);
      }
    }
    const serde = new AvroSerde(registry);
    const http = new ScriptedHttp();
    const tables = new Map<string, MemoryPostgresSink>();
    const logger = pino({ level: process.env.WEIR_LOG_LEVEL ?? 'silent' });
    const steps = opts.steps ? plan.steps.filter((s) => opts.steps!.includes(s.name)) : plan.steps;
    const workers: Worker[] = [];
    for (const step of steps) {
      const sink =
        step.kind === 'postgres'
          ? new MemoryPostgresSink(step, step.readerSchema ? schemaFile(root, step.readerSchema).json : undefined)
          : undefined;
      if (sink) tables.set(sink.tableName, sink);
      const processor =
        step.kind === 'http'
          ? httpSender(step, { env: opts.env ?? {}, fetch: http.fetchFor(step.name), ...deliveryRecords(step) })
          : undefined;
      const worker = await Worker.create({
        plan,
        step,
        root,
        clients: cluster.clients(),
        serde,
        logger,
        instanceId: 'test-driver',
        clock,
        ...(sink ? { sink } : {}),
        ...(processor ? { processor } : {}),
      });
      await worker.open();
      workers.push(worker);
    }
    return new TopologyTestDriver(plan, clock, cluster, workers, new TopicCodecs(plan, root, serde), tables, http);
  }

  /** Puts records on a topic, keys and values encoded with the topic's formats (Avro with its schema). */
  async pipe(topic: string, records: TestRecord[]): Promise<void> {
    for (const r of records) this.cluster.append(topic, await this.codecs.encode(topic, r, this.clock.now()));
  }

  /** Puts records on a topic as raw bytes (poison pills, foreign producers). */
  pipeRaw(
    topic: string,
    records: Array<{ key?: Buffer | string | null; value: Buffer | null; headers?: Header[]; timestamp?: number }>,
  ): void {
    for (const r of records) {
      const key = typeof r.key === 'string' ? Buffer.from(r.key) : (r.key ?? null);
      this.cluster.append(topic, { key, value: r.value, headers: r.headers ?? [], timestamp: r.timestamp ?? this.clock.now() });
    }
  }

  /** Lets every worker process until nothing moves any more (without moving the clock). */
  async run(): Promise<void> {
    for (;;) {
      const before = this.cluster.written;
      for (const w of this.workers) await this.settle(w);
      if (this.cluster.written === before) return;
    }
  }

  /** Moves the virtual clock (a number of ms, or a duration like `30s`), processing as each timer fires on the way. */
  async advance(by: string | number): Promise<void> {
    const ms = typeof by === 'number' ? by : parseDuration(by);
    if (ms === undefined || ms < 0) throw new Error(`advance: not a duration: ${JSON.stringify(by)}`);
    const target = this.clock.now() + ms;
    await this.run();
    for (let at = this.clock.nextTimerAt(target); at !== undefined; at = this.clock.nextTimerAt(target)) {
      this.clock.fireUntil(at);
      await new Promise((r) => setImmediate(r)); // a resume waits for its seek's promise
      await this.run();
    }
    this.clock.fireUntil(target);
    await this.run();
  }

  /** What a read_committed consumer of `topic` sees, decoded. */
  output(topic: string): Promise<DecodedRecord[]> {
    return this.codecs.decodeAll(topic, this.cluster.records(topic));
  }

  /** The step's DLQ: original bytes and, where they decode, the value; with the failure headers. */
  dlq(step: string): Promise<DlqEntry[]> {
    const s = this.step(step);
    return this.codecs.dlqEntries(s.input, this.cluster.records(s.retry.dlq));
  }

  /** Records waiting in (or having passed through) the step's retry tiers. */
  retries(step: string): Promise<RetryEntry[]> {
    const s = this.step(step);
    return this.codecs.retryEntries(s, (topic) => this.cluster.records(topic));
  }

  /** The rows of a Postgres sink's table. */
  rows(table: string): TableRow[] {
    const sink = this.tables.get(table);
    if (!sink) throw new Error(`no Postgres sink writes table ${table}; sinks: ${[...this.tables.keys()].join(', ') || 'none'}`);
    return sink.rows();
  }

  /** Stops every worker as `weir run` does on SIGTERM. */
  async close(): Promise<void> {
    for (const w of this.workers) {
      w.loop.requestStop();
      for (let i = 0; w.loop.state !== 'stopped' && i < MAX_ADVANCES_PER_WORKER; i++) await w.loop.advance();
    }
  }

  private step(name: string): PlannedStep {
    const s = this.plan.steps.find((x) => x.name === name);
    if (!s) throw new Error(`no step named ${name}; the plan has: ${this.plan.steps.map((x) => x.name).join(', ')}`);
    return s;
  }

  private async settle(w: Worker): Promise<void> {
    for (let i = 0; i < MAX_ADVANCES_PER_WORKER; i++) {
      if (w.loop.state === 'stopped') throw new Error(`step ${w.stepName} stopped: ${w.failure?.message ?? 'stopped'}`);
      await w.loop.advance();
      if (w.loop.state === 'collecting' && w.loop.idle) return;
    }
    throw new Error(`step ${w.stepName} did not settle within ${MAX_ADVANCES_PER_WORKER} lifecycle steps (state ${w.loop.state})`);
  }
}

/** HTTP delivery records (`deliveryRecordTtl`) need a key-value store: an in-memory one. */
function deliveryRecords(step: PlannedStep): { redis?: never } {
  if (step.http?.deliveryRecordTtlMs === null || step.http?.deliveryRecordTtlMs === undefined) return {};
  const keys = new Set<string>();
  const store = { exists: async (k: string) => (keys.has(k) ? 1 : 0), set: async (k: string) => void keys.add(k) };
  return { redis: store as never };
}
