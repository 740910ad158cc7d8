// One step's worker: the loop (loop.ts) over the step's strategy, run until it stops. A fatal
// failure (authorization, a missing topic, a bad setting) stops it with the reason; `weir run`
// then exits non-zero. Everything it talks to comes in through WorkerDeps, so the same core runs
// against librdkafka in production and against in-memory clients in the test driver.
import type { Logger } from '../observability/logger.ts';
import type { WorkerStatus } from '../observability/server.ts';
import type { KafkaClients } from '../kafka/ports.ts';
import type { RateLimiter } from '../ratelimit/limiter.ts';
import { KeyChains } from '../retry/ordered.ts';
import type { AvroSerde } from '../schema/serde.ts';
import type { TransactionalSink } from '../sinks/sink.ts';
import type { Plan, PlannedStep } from '../topology/plan.ts';
import { BatchProcessor } from './batch-processor.ts';
import { systemClock, type Clock } from './clock.ts';
import { DuePartitions } from './due.ts';
import type { WorkerHooks } from './hooks.ts';
import { Isolation } from './isolation.ts';
import { WorkerLoop } from './loop.ts';
import { loadProcessor, type Processor } from './processors.ts';
import { StepIO } from './step-io.ts';
import { produceStrategy } from './strategies/produce.ts';
import { sinkStrategy } from './strategies/sink.ts';
import type { BatchStrategy } from './strategy.ts';
import { SizeLimits } from './size-limits.ts';
import { stepLabels } from '../observability/metrics.ts';

export interface WorkerDeps {
  plan: Plan;
  step: PlannedStep;
  root: string;
  clients: KafkaClients;
  serde: AvroSerde;
  logger: Logger;
  /** Makes the transactional id: a stable id per replica lets a restart fence its predecessor at once. */
  instanceId: string;
  sessionTimeoutMs?: number;
  /** The instance id is stable across restarts (given by the operator): static group membership. */
  staticMembership?: boolean;
  /** `max.message.bytes` of the topics the step writes, where known (read at start). */
  topicLimits?: ReadonlyMap<string, number>;
  /** An input partition with lag and no commit for this long is stalled (default: max(60 s, 2 × the transaction timeout)). */
  stallAfterMs?: number;
  /** Identical aborts of a batch before its records go one per transaction to find one Kafka refuses (default 3). */
  isolateAfter?: number;
  /**
   * `at-least-once` produces without a transaction and commits offsets after the outputs are
   * acknowledged: faster, duplicates after a crash. For benchmarks and for proving the fault tests
   * can see duplicates; exactly-once is the default.
   */
  delivery?: 'exactly-once' | 'at-least-once';
  /** The step's rate limit, when it has one. */
  limiter?: RateLimiter;
  /** What to do with each record, when not the step's own transform (e.g. the HTTP sink's send). */
  processor?: Processor;
  /** A transactional sink (Postgres) that takes the batches instead of Kafka outputs. */
  sink?: TransactionalSink;
  clock?: Clock;
  hooks?: WorkerHooks;
}

export class Worker {
  private running: Promise<void> = Promise.resolve();

  private constructor(
    readonly loop: WorkerLoop,
    private readonly strategy: BatchStrategy,
    private readonly step: PlannedStep,
    private readonly clock: Clock,
  ) {}

  /** Builds the step's strategy (codecs, transform, sink); throws when they cannot be made (e.g. a schema not registered). */
  static async create(deps: WorkerDeps): Promise<Worker> {
    const { step } = deps;
    const clock = deps.clock ?? systemClock;
    const log = deps.logger.child({ step: step.name });
    const isolation = new Isolation(deps.isolateAfter ?? 3, log);
    const io = await StepIO.create(deps.plan, step, deps.root, deps.serde, isolation);
    const chains = step.retry.preserveKeyOrder ? new KeyChains() : undefined;
    const sizes = deps.topicLimits?.size ? new SizeLimits(deps.topicLimits) : undefined;
    let strategy: BatchStrategy;
    if (deps.sink) strategy = sinkStrategy(step, io, deps.sink, clock, log, deps.limiter, sizes) as BatchStrategy;
    else {
      const processor = deps.processor ?? (await loadProcessor(step, deps.root));
      strategy = produceStrategy(
        stepLabels(step),
        new BatchProcessor(step, io, processor, log, clock, chains, deps.limiter, sizes),
      ) as BatchStrategy;
    }
    // The loop resumes held retry-tier partitions through the consumer it has at the time.
    let loop: WorkerLoop | undefined = undefined;
    const due = new DuePartitions((tps) => loop?.resume(tps), clock);
    loop = new WorkerLoop({
      step,
      clients: deps.clients,
      strategy,
      clock,
      hooks: deps.hooks ?? {},
      log,
      instanceId: deps.instanceId,
      sessionTimeoutMs: deps.sessionTimeoutMs ?? 45_000,
      ...(deps.staticMembership ? { staticMembership: true } : {}),
      ...(deps.stallAfterMs ? { stallAfterMs: deps.stallAfterMs } : {}),
      exactlyOnce: deps.delivery !== 'at-least-once',
      due,
      chains,
      isolation,
    });
    return new Worker(loop, strategy, step, clock);
  }

  get transactionalId(): string {
    return this.loop.transactionalId;
  }

  get stepName(): string {
    return this.step.name;
  }

  /** Opens the strategy (the sink's pool); the loop can then be advanced. */
  open(): Promise<void> {
    return this.strategy.open();
  }

  /** Opens the strategy and runs the loop in the background until it stops. */
  async start(): Promise<void> {
    await this.open();
    this.running = this.runToEnd();
  }

  private async runToEnd(): Promise<void> {
    while (this.loop.state !== 'stopped') await this.loop.advance();
  }

  /** Resolves when the worker stopped: cleanly after stop(), or with `failure` set. */
  get done(): Promise<void> {
    return this.running;
  }

  get failure(): Error | undefined {
    return this.loop.failure;
  }

  /** Finishes the batch in flight, commits, leaves the group. */
  async stop(): Promise<void> {
    this.loop.requestStop();
    await this.running;
    await this.strategy.close();
  }

  /** For /readyz: joined the group, partitions held, and whether the loop still goes round. */
  status(): WorkerStatus {
    return {
      step: this.step.name,
      joined: this.loop.joined,
      partitions: this.loop.assignment.filter((tp) => tp.topic === this.step.input).length,
      sinceLoopMs: this.clock.now() - this.loop.lastRoundAt,
      stuckAfterMs: Math.max(60_000, 2 * this.step.transactionTimeoutMs),
      stalled: this.loop.stalls.stalls(this.clock.now(), this.loop.lastError),
    };
  }
}
