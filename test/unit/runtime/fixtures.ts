// Shared setup of the worker-core tests: a compiled one-step topology over the in-memory cluster,
// a Worker built on counted clients, and helpers that drive its loop one state at a time (bounded,
// failing with the trail of transitions when the expected state never comes).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { KafkaClients, StepConsumer, StepProducer } from '../../../src/kafka/ports.ts';
import type { WorkerHooks } from '../../../src/runtime/hooks.ts';
import type { State } from '../../../src/runtime/lifecycle.ts';
import type { Processor } from '../../../src/runtime/processors.ts';
import { Worker } from '../../../src/runtime/worker.ts';
import { AvroSerde, type SchemaSource } from '../../../src/schema/serde.ts';
import type { SinkRecord, SinkTransaction, TransactionalSink } from '../../../src/sinks/sink.ts';
import { VirtualClock } from '../../../src/testing/clock.ts';
import { MemoryCluster } from '../../../src/testing/memory/cluster.ts';
import { MemoryRegistry } from '../../../src/testing/memory/registry.ts';
import { compileTopology } from '../../../src/topology/compile/index.ts';
import { formatDiagnostic } from '../../../src/topology/diagnostics.ts';
import type { Plan, PlannedStep } from '../../../src/topology/plan.ts';

export const IN = 'in';
export const OUT = 'out';
export const EVENT_SCHEMA = JSON.stringify({ type: 'record', name: 'Event', fields: [{ name: 'n', type: 'long' }] });

export interface TopologyOptions {
  partitions?: number;
  /** Most records per batch. */
  records?: number;
  /** The step's retry policy (YAML flow map). */
  retry?: string;
  /** Avro input values (schemas/Event.avsc) instead of JSON. */
  avro?: boolean;
  /** A Postgres sink step instead of a produce step. */
  sink?: boolean;
}

/** Writes the topology (and the Avro schema) into a fresh project folder and compiles it. */
export function compileStep(opts: TopologyOptions = {}): { plan: Plan; step: PlannedStep; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'weir-runtime-'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  if (opts.avro) writeFileSync(join(root, 'Event.avsc'), EVENT_SCHEMA);
  const partitions = opts.partitions ?? 1;
  const body = opts.sink
    ? `    sink:\n      postgres:\n        table: t\n        key: [k]\n        columns:\n          k: $key\n          n: n\n`
    : `    map: "$"\n    outputs: [${OUT}]\n`;
  const yaml = `pipeline: p
topics:
  ${IN}:
    partitions: ${partitions}
    key: string
    value: ${opts.avro ? 'Event.avsc' : 'json'}
  ${OUT}:
    partitions: ${partitions}
    key: string
    value: json
steps:
  s:
    input: ${IN}
${body}    batch: { records: ${opts.records ?? 500}, time: 100ms }
    retry: ${opts.retry ?? '{ delays: [1s] }'}
`;
  const file = join(root, 'pipeline.yaml');
  writeFileSync(file, yaml);
  const { plan, diagnostics } = compileTopology([file], { root });
  if (!plan) throw new Error(`test topology does not compile:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
  return { plan, step: plan.steps[0]!, root };
}

/** Counts the clients a worker creates and which of them it disconnected (same objects: the memory producer checks its consumer's class). */
export function countingClients(inner: KafkaClients) {
  const made = { consumers: [] as StepConsumer[], producers: [] as StepProducer[] };
  const closed = new Set<object>();
  const track = <T extends { disconnect(): Promise<void> }>(client: T): T => {
    const disconnect = client.disconnect.bind(client);
    client.disconnect = async () => {
      closed.add(client);
      await disconnect();
    };
    return client;
  };
  // While held, commitTransaction waits: the transaction stays in flight at the broker too.
  let held: { until: Promise<void>; release: () => void } | undefined;
  const commits = {
    hold() {
      let release = () => {};
      const until = new Promise<void>((resolve) => (release = resolve));
      held = { until, release };
    },
    release() {
      const h = held;
      held = undefined;
      h?.release();
    },
  };
  const clients: KafkaClients = {
    ...inner,
    consumer: async (opts) => {
      const c = track(await inner.consumer(opts));
      made.consumers.push(c);
      return c;
    },
    producer: async (opts) => {
      const p = track(await inner.producer(opts));
      const commit = p.commitTransaction.bind(p);
      p.commitTransaction = async (ms) => {
        if (held) await held.until;
        await commit(ms);
      };
      made.producers.push(p);
      return p;
    },
  };
  const open = () => [...made.consumers, ...made.producers].filter((c) => !closed.has(c)).length;
  return { clients, made, open, commits };
}

/** A registry whose schemaById rejects with `failure()` whenever `down(id)` says so (an outage), else answers. */
export function flakyRegistry(registry: MemoryRegistry, down: (id: number) => boolean, failure: () => Error): SchemaSource & { calls: number[] } {
  const source = {
    calls: [] as number[],
    async schemaById(id: number) {
      source.calls.push(id);
      if (down(id)) throw failure();
      return registry.schemaById(id);
    },
    lookup: (subject: string, text: string) => registry.lookup(subject, text),
  };
  return source;
}

/** Down for the first `n` calls. */
export const firstCalls = (n: number) => () => n-- > 0;

/** Maps every record to `{ n, out: true }` on `out`, keeping the key. */
export const echo: Processor = (r) => [{ value: { n: (r.value as { n: number }).n, out: true } }];

export interface Setup extends TopologyOptions {
  processor?: Processor;
  sink?: boolean;
  fakeSink?: TransactionalSink;
  serde?: AvroSerde;
  hooks?: WorkerHooks;
  /** Leave the input topic out of the cluster (a missing topic). */
  noInput?: boolean;
}

/** Most transitions one test may make: a loop that never settles fails instead of hanging. */
const TRANSITION_BUDGET = 2_000;

export async function setup(opts: Setup = {}) {
  const { plan, step, root } = compileStep(opts);
  const clock = new VirtualClock(1_000_000);
  const cluster = new MemoryCluster(clock);
  for (const t of plan.topics) if (!(opts.noInput && t.name === IN)) cluster.createTopic(t.name, t.partitions);
  const counted = countingClients(cluster.clients());
  const transitions: string[] = [];
  const hooks: WorkerHooks = {
    ...opts.hooks,
    onTransition(from, to, reason) {
      transitions.push(`${from}→${to}`);
      if (transitions.length > TRANSITION_BUDGET) throw new Error(`more than ${TRANSITION_BUDGET} transitions: ${transitions.slice(-12).join(', ')}`);
      opts.hooks?.onTransition?.(from, to, reason);
    },
  };
  const worker = await Worker.create({
    plan,
    step,
    root,
    clients: counted.clients,
    serde: opts.serde ?? new AvroSerde(new MemoryRegistry()),
    logger: pino({ level: 'silent' }),
    instanceId: 'i1',
    clock,
    hooks,
    ...(opts.processor || !opts.sink ? { processor: opts.processor ?? echo } : {}),
    ...(opts.fakeSink ? { sink: opts.fakeSink } : {}),
  });
  const loop = worker.loop;

  /** Advances until `done()` holds after a step; fails after `max` steps with the trail. */
  async function until(done: () => boolean, what: string, max = 200): Promise<void> {
    for (let i = 0; i < max; i++) {
      if (loop.state === 'stopped') break;
      await loop.advance();
      if (done()) return;
    }
    throw new Error(`${what}: not reached within ${max} steps (state ${loop.state}); last transitions: ${transitions.slice(-16).join(', ')}`);
  }

  /** Another replica of the step on the same cluster (a second group member), with its own transitions. */
  async function replica(instanceId: string) {
    const seen: string[] = [];
    const other = await Worker.create({
      plan,
      step,
      root,
      clients: cluster.clients(),
      serde: opts.serde ?? new AvroSerde(new MemoryRegistry()),
      logger: pino({ level: 'silent' }),
      instanceId,
      clock,
      hooks: { onTransition: (from, to) => void seen.push(`${from}→${to}`) },
      processor: opts.processor ?? echo,
    });
    return { loop: other.loop, transitions: seen };
  }

  return {
    replica,
    plan,
    step,
    clock,
    cluster,
    worker,
    loop,
    transitions,
    made: counted.made,
    /** hold(): commitTransaction waits until release(). */
    commits: counted.commits,
    openClients: counted.open,
    until,
    /** Until the loop found nothing to do with nothing in flight. */
    idle: () => until(() => loop.idle, 'idle'),
    /** Until the loop is in `state` (after at least one step). */
    reach: (state: State) => until(() => loop.state === state, `state ${state}`),
    /** Transitions from index `from` on (see `mark`). */
    since: (from: number) => transitions.slice(from),
    mark: () => transitions.length,
    /** Appends records `{ n }` with key `key` to the input. */
    input(ns: number[], key: (n: number) => string = (n) => `k${n}`, encode: (n: number) => Buffer = (n) => Buffer.from(JSON.stringify({ n }))) {
      for (const n of ns) cluster.append(IN, { key: key(n), value: encode(n) });
    },
    /** The `n` of each committed output record, in log order. */
    outputs: (topic = OUT) => cluster.records(topic).map((r) => (JSON.parse(r.value!.toString()) as { n: number }).n),
    committed: (partition = 0) => cluster.committedOffset(step.group, { topic: IN, partition }),
  };
}

/** Lets every pending promise callback run (the memory clients resolve in microtasks): no wall-clock wait. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

export type Harness = Awaited<ReturnType<typeof setup>>;

export const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

/** A transactional sink in memory: rows and next offsets stored together at commit; failures queued per call. */
export class FakeSink implements TransactionalSink {
  readonly name = 'fake';
  readonly rows: SinkRecord[] = [];
  /** Next offset per "topic/partition", as committed with the rows. */
  readonly offsets = new Map<string, number>();
  readonly failBegin: Error[] = [];
  readonly failCommit: Error[] = [];
  begun = 0;
  rolledBack = 0;

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  release(): void {}

  async claim(partitions: Array<{ topic: string; partition: number }>) {
    return partitions.map((tp) => ({ ...tp, next: this.offsets.get(`${tp.topic}/${tp.partition}`) ?? null }));
  }

  async begin(records: SinkRecord[], offsets: Array<{ topic: string; partition: number; offset: number }>): Promise<SinkTransaction> {
    this.begun++;
    const failure = this.failBegin.shift();
    if (failure) throw failure;
    return {
      rejected: new Map(),
      commit: async () => {
        const f = this.failCommit.shift();
        if (f) throw f;
        this.rows.push(...records);
        for (const o of offsets) this.offsets.set(`${o.topic}/${o.partition}`, o.offset);
      },
      rollback: async () => void this.rolledBack++,
    };
  }
}
