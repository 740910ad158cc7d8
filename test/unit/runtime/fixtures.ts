// Shared setup of the worker-core tests: a compiled one-step topology over the in-memory cluster,
// a Worker built on counted clients (fakes.ts), and helpers that drive its loop one state at a time (bounded,
// failing with the trail of transitions when the expected state never comes).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { WorkerHooks } from '../../../src/runtime/hooks.ts';
import type { State } from '../../../src/runtime/lifecycle.ts';
import type { Processor } from '../../../src/runtime/processors.ts';
import { Worker } from '../../../src/runtime/worker.ts';
import { AvroSerde } from '../../../src/schema/serde.ts';
import type { TransactionalSink } from '../../../src/sinks/sink.ts';
import { VirtualClock } from '../../../src/testing/clock.ts';
import { MemoryCluster } from '../../../src/testing/memory/cluster.ts';
import { MemoryRegistry } from '../../../src/testing/memory/registry.ts';
import { compileTopology } from '../../../src/topology/compile/index.ts';
import { formatDiagnostic } from '../../../src/topology/diagnostics.ts';
import type { Plan, PlannedStep } from '../../../src/topology/plan.ts';
import { countingClients } from './fakes.ts';

export { FakeSink, firstCalls, flakyRegistry } from './fakes.ts';

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
  /** Avro output values (schemas/Event.avsc, ids looked up when the worker is made) instead of JSON. */
  avroOutput?: boolean;
}

/** Writes the topology (and the Avro schema) into a fresh project folder and compiles it. */
export function compileStep(opts: TopologyOptions = {}): { plan: Plan; step: PlannedStep; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'weir-runtime-'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  if (opts.avro || opts.avroOutput) writeFileSync(join(root, 'Event.avsc'), EVENT_SCHEMA);
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
    value: ${opts.avroOutput ? 'Event.avsc' : 'json'}
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

/** Maps every record to `{ n, out: true }` on `out`, keeping the key. */
export const echo: Processor = (r) => [{ value: { n: (r.value as { n: number }).n, out: true } }];

export interface Setup extends TopologyOptions {
  processor?: Processor;
  fakeSink?: TransactionalSink;
  serde?: AvroSerde;
  hooks?: WorkerHooks;
  /** The worker's logger (default: silent). */
  logger?: Logger;
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
      if (transitions.length > TRANSITION_BUDGET)
        throw new Error(`more than ${TRANSITION_BUDGET} transitions: ${transitions.slice(-12).join(', ')}`);
      opts.hooks?.onTransition?.(from, to, reason);
    },
  };
  const worker = await Worker.create({
    plan,
    step,
    root,
    clients: counted.clients,
    serde: opts.serde ?? new AvroSerde(new MemoryRegistry()),
    logger: opts.logger ?? pino({ level: 'silent' }),
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
      if (loop.state === 'stopped') break; // advance() would throw: a bug, not a step
      await loop.advance();
      if (done()) return;
    }
    throw new Error(
      `${what}: not reached within ${max} steps (state ${loop.state}); last transitions: ${transitions.slice(-16).join(', ')}`,
    );
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
    /** Exactly `n` steps (or until stopped). */
    async steps(n: number): Promise<void> {
      for (let i = 0; i < n && loop.state !== 'stopped'; i++) await loop.advance();
    },
    /** Until the loop found nothing to do with nothing in flight. */
    idle: () => until(() => loop.idle, 'idle'),
    /** Until the loop is in `state` (after at least one step). */
    reach: (state: State) => until(() => loop.state === state, `state ${state}`),
    /** Transitions from index `from` on (see `mark`). */
    since: (from: number) => transitions.slice(from),
    mark: () => transitions.length,
    /** Appends records `{ n }` with key `key` to the input. */
    input(
      ns: number[],
      key: (n: number) => string = (n) => `k${n}`,
      encode: (n: number) => Buffer = (n) => Buffer.from(JSON.stringify({ n })),
    ) {
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
