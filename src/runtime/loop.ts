// The worker loop: each call of `advance()` does the work of the current lifecycle state and moves
// to the next one (lifecycle.ts has the table). Production runs it until `stopped` (worker.ts);
// the test driver runs it until the worker is idle. What a step does with a batch is its strategy.
import type { Logger } from '../observability/logger.ts';
import { metrics, stepLabels } from '../observability/metrics.ts';
import type { KafkaClients, StepConsumer, StepProducer } from '../kafka/ports.ts';
import type { InboundRecord, TopicPartition, TopicPartitionOffset } from '../kafka/types.ts';
import type { KeyChains } from '../retry/ordered.ts';
import type { PlannedStep } from '../topology/plan.ts';
import type { Clock } from './clock.ts';
import { closeClients } from './close-clients.ts';
import { collectBatch } from './collect.ts';
import { resolveDoubt, type Doubt } from './doubt.ts';
import type { DuePartitions } from './due.ts';
import type { WorkerHooks } from './hooks.ts';
import { kindOf, Lifecycle, type State } from './lifecycle.ts';
import { firstOffsets, firstPerPartition, idlePositions, inputPositions, nextOffsets } from './positions.ts';
import { applyRebalances } from './rebalance.ts';
import { Reporter } from './reporting.ts';
import type { Isolation } from './isolation.ts';
import { StallWatch } from './stalls.ts';
import { logTransition } from './transition-log.ts';
import type { BatchStrategy } from './strategy.ts';
import type { Outcome, TransactionContext } from './transaction.ts';

export interface LoopDeps {
  step: PlannedStep;
  clients: KafkaClients;
  strategy: BatchStrategy;
  clock: Clock;
  hooks: WorkerHooks;
  log: Logger;
  /** Makes the transactional id: a stable id per replica lets a restart fence its predecessor at once. */
  instanceId: string;
  /** The instance id was given (stable across restarts): join the group as a static member with it. */
  staticMembership?: boolean;
  sessionTimeoutMs: number;
  exactlyOnce: boolean;
  due: DuePartitions;
  chains: KeyChains | undefined;
  /** How long an input partition with lag may go without a commit before it counts as stalled. */
  stallAfterMs?: number;
  /** Finds a record Kafka refuses when the same batch keeps aborting (isolation.ts). */
  isolation: Isolation;
}

interface InFlight {
  /** Where its partitions go back to should it fail (not its records: they need not stay in memory while it commits). */
  firsts: TopicPartitionOffset[];
  offsets: TopicPartitionOffset[];
  records: number;
  prepared: unknown;
  outcome: Promise<Outcome>;
}

const MAX_BACKOFF_MS = 10_000;

export class WorkerLoop {
  readonly lifecycle: Lifecycle;
  /** Why the worker stopped, when a fatal failure stopped it. */
  failure: Error | undefined;
  /** The last collect found nothing and nothing is in flight (the test driver's "quiet"). */
  idle = false;
  lastRoundAt: number;
  /** Got its first assignment (possibly empty): for /readyz. */
  joined = false;
  /** The reason of the last failed transition, for stalled partitions' reports. */
  lastError: string | undefined;
  readonly stalls: StallWatch;
  private consumer: StepConsumer | undefined;
  private producer: StepProducer | undefined;
  private stopRequested = false;
  private inflight: InFlight | undefined;
  /** The batch between collecting and producing, and what it will write. */
  private batch: InboundRecord[] = [];
  private prepared: unknown;
  private offsets: TopicPartitionOffset[] = [];
  /** First offsets of the failed batches' partitions (seek back there), and whether the failed transaction is open. */
  private failed: TopicPartitionOffset[] = [];
  private openTransaction = false;
  /** A failed write that may have taken effect (its commit's answer was lost): settled by the stored positions. */
  private doubt: Doubt | undefined;
  private backoffMs = 0;
  /** Input partition → next offset last committed (for the idle commit of positions). */
  private readonly committed = new Map<string, number>();
  private lastIdleCommit = -Infinity;
  private readonly reporter: Reporter;

  constructor(private readonly deps: LoopDeps) {
    this.lifecycle = new Lifecycle((from, to, reason) => this.transitioned(from, to, reason));
    const stallAfterMs = deps.stallAfterMs ?? Math.max(60_000, 2 * deps.step.transactionTimeoutMs);
    this.stalls = new StallWatch(stepLabels(deps.step), deps.step.input, stallAfterMs, deps.log);
    this.reporter = new Reporter(
      stepLabels(deps.step),
      deps.step.input,
      deps.step.retry.tiers.map((t) => t.topic),
      deps.clients,
      deps.due,
      deps.clock,
      this.stalls,
      this.committed,
      () => this.lastError,
      stallAfterMs,
    );
    this.lastRoundAt = deps.clock.now();
  }

  get state(): State {
    return this.lifecycle.state;
  }

  get transactionalId(): string {
    return `${this.deps.step.transactionalIdPrefix}${this.deps.instanceId}`;
  }

  get assignment() {
    return this.consumer?.assignment() ?? [];
  }

  /** Resumes retry-tier partitions whose head became due. */
  resume(partitions: TopicPartition[]): void {
    this.consumer?.resume(partitions);
  }

  /** Finish the batch in flight, commit, leave the group. */
  requestStop(): void {
    this.stopRequested = true;
  }

  /** Does the current state's work and moves on. */
  async advance(): Promise<void> {
    const lc = this.lifecycle;
    try {
      lc.go(await this.work(lc.state));
    } catch (err) {
      if (lc.state === 'stopped' || lc.state === 'closing' || lc.state === 'rejoining') throw err; // a bug in the loop itself
      if (lc.fail(err) === 'stopped') {
        this.failure = err instanceof Error ? err : new Error(String(err));
        await this.dropClients();
      }
    }
  }

  private work(state: State): Promise<State> {
    switch (state) {
      case 'starting':
        return this.start();
      case 'rebalancing':
        return this.rebalance();
      case 'collecting':
        return this.collect();
      case 'processing':
        return this.process();
      case 'settling':
        return this.settle();
      case 'producing':
        return Promise.resolve(this.produce());
      case 'aborting':
        return this.abort();
      case 'replacing':
        return this.replaceProducer();
      case 'rewinding':
        return this.rewind();
      case 'rejoining':
        return this.rejoin();
      case 'closing':
        return this.close();
      case 'stopped':
        throw new Error('the worker has stopped');
    }
  }

  private async start(): Promise<State> {
    const { step, clients, log } = this.deps;
    this.consumer = await clients.consumer({
      name: `${step.name}-consumer`,
      groupId: step.group,
      isolation: 'read_committed',
      sessionTimeoutMs: this.deps.sessionTimeoutMs,
      // Static membership (KIP-345): a restart with the same instance id takes its partitions back at
      // once instead of waiting out the dead member's session.
      ...(this.deps.staticMembership ? { groupInstanceId: this.deps.instanceId } : {}),
      logger: log,
      extra: { 'queued.max.messages.kbytes': 16_384 },
    });
    await this.newProducer();
    this.consumer.subscribe([step.input]);
    log.info(
      { group: step.group, ...(this.deps.exactlyOnce ? { transactionalId: this.transactionalId } : { delivery: 'at-least-once' }) },
      'started',
    );
    return this.stopRequested ? 'closing' : 'rebalancing';
  }

  private async newProducer(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
    const { step, clients, log } = this.deps;
    const producer = await clients.producer({
      name: `${step.name}-producer`,
      ...(this.deps.exactlyOnce ? { transactionalId: this.transactionalId, transactionTimeoutMs: step.transactionTimeoutMs } : {}),
      logger: log,
      extra: { partitioner: 'murmur2_random' }, // Java clients' key → partition mapping
    });
    // Fences any earlier producer with this id and aborts its open transaction.
    if (this.deps.exactlyOnce) await producer.initTransactions(step.transactionTimeoutMs);
    this.producer = producer;
  }

  private async rebalance(): Promise<State> {
    if (this.stopRequested) return 'closing';
    if (await applyRebalances({ ...this.deps, committed: this.committed }, this.consumer!)) this.joined = true;
    this.deps.isolation.keep(this.consumer!.assignment());
    return 'collecting';
  }

  private async collect(): Promise<State> {
    const consumer = this.consumer!;
    this.idle = false;
    this.lastRoundAt = this.deps.clock.now();
    if (this.stopRequested) return this.inflight ? 'settling' : 'closing';
    if (consumer.hasPendingRebalance && !this.inflight) return 'rebalancing';
    this.reporter.report(consumer);
    const batch = consumer.hasPendingRebalance
      ? []
      : await collectBatch(
          consumer,
          this.deps.isolation.bounds(this.deps.step.batch),
          this.deps.due,
          this.deps.clock,
          () => this.stopRequested,
        );
    if (batch.length > 0) {
      this.batch = batch;
      return 'processing';
    }
    if (this.inflight) return 'settling';
    const now = this.deps.clock.now();
    if (now - this.lastIdleCommit >= 1_000) {
      this.lastIdleCommit = now;
      this.offsets = idlePositions(consumer, this.deps.step.input, this.committed);
      if (this.offsets.length > 0) return 'producing';
    }
    this.idle = !consumer.hasPendingRebalance;
    return 'collecting';
  }

  private async process(): Promise<State> {
    try {
      this.prepared = await this.deps.strategy.prepare(this.batch, this.inflight?.prepared);
    } catch (err) {
      this.failed.push(...firstOffsets(this.batch));
      this.batch = [];
      throw err;
    }
    this.offsets = nextOffsets(
      this.batch,
      inputPositions(this.consumer!, this.deps.step.input, this.batch),
      this.deps.hooks.commitLastProcessed,
    );
    return this.inflight ? 'settling' : 'producing';
  }

  private async settle(): Promise<State> {
    const done = this.inflight!;
    this.inflight = undefined;
    const outcome = await done.outcome;
    if (!outcome.ok) {
      // N failed: N+1 was read after it, so both go back.
      this.failed.push(...done.firsts, ...firstOffsets(this.batch));
      this.batch = [];
      this.prepared = undefined;
      this.openTransaction = outcome.open;
      if (outcome.uncertain || kindOf(outcome.error) === 'indefinite') this.doubt = { offsets: done.offsets, prepared: done.prepared };
      this.deps.isolation.failed(done.firsts, done.offsets, done.records, outcome.error);
      throw outcome.error;
    }
    this.committedBatch(done);
    this.backoffMs = 0;
    if (this.batch.length > 0) return 'producing';
    if (this.stopRequested) return 'closing';
    return this.consumer!.hasPendingRebalance ? 'rebalancing' : 'collecting';
  }

  /** Bookkeeping of a batch whose write committed: what the strategy, the isolation and the lag and stall reports know. */
  private committedBatch(done: InFlight): void {
    this.deps.strategy.committed(done.prepared);
    this.deps.isolation.committed(done.offsets);
    for (const o of done.offsets) if (o.topic === this.deps.step.input) this.committed.set(`${o.partition}`, o.offset);
  }

  private produce(): State {
    const tx: TransactionContext = {
      labels: stepLabels(this.deps.step),
      producer: this.producer!,
      consumer: this.consumer!,
      exactlyOnce: this.deps.exactlyOnce,
      timeoutMs: Math.min(this.deps.step.transactionTimeoutMs, 30_000),
      hooks: this.deps.hooks,
      log: this.deps.log,
    };
    const { batch, prepared, offsets } = this;
    const outcome = this.deps.strategy
      .write(batch.length ? prepared : undefined, offsets, tx)
      .catch((error: unknown): Outcome => ({ ok: false, error, open: true }));
    this.inflight = { firsts: firstOffsets(batch), offsets, records: batch.length, prepared, outcome };
    this.batch = [];
    this.prepared = undefined;
    this.offsets = [];
    const drain = !this.deps.strategy.pipelined || this.stopRequested || this.consumer!.hasPendingRebalance;
    return drain ? 'settling' : 'collecting';
  }

  private async abort(): Promise<State> {
    if (this.openTransaction) {
      this.openTransaction = false;
      await this.producer!.abortTransaction(Math.min(this.deps.step.transactionTimeoutMs, 30_000));
    }
    return 'rewinding';
  }

  /** After a timeout or an unknown outcome: a fresh producer (same id) fences the old epoch, so no delayed commit can tear the transaction. */
  private async replaceProducer(): Promise<State> {
    this.openTransaction = false;
    await this.newProducer();
    return 'rewinding';
  }

  /** Every partition of the failed batches back to its first record (the committed position); then back off. */
  private async rewind(): Promise<State> {
    if (this.inflight) {
      // The batch failed while processing and an earlier one was still committing: settle it first.
      // Should it have failed too, its error leads to rejoining: fresh clients start from committed offsets.
      const done = this.inflight;
      this.inflight = undefined;
      const outcome = await done.outcome;
      if (!outcome.ok) throw outcome.error;
      // Recorded as in `settle`: without it the stall watch would not know where these partitions
      // stand, and a batch that keeps failing after them (a registry outage) would never show as stalled.
      this.committedBatch(done);
    }
    const consumer = this.consumer!;
    const assigned = consumer.assignment();
    let first = firstPerPartition(this.failed);
    this.failed = [];
    if (this.doubt) first = await this.resolveDoubt(this.doubt, first);
    for (const tpo of first) {
      if (!assigned.some((a) => a.topic === tpo.topic && a.partition === tpo.partition)) continue;
      await consumer.seek(tpo).catch((err: unknown) => this.deps.log.warn({ err }, 'seek failed'));
    }
    this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 200), MAX_BACKOFF_MS);
    await this.deps.clock.sleep(this.backoffMs);
    return 'collecting';
  }

  /** A write whose outcome is unknown: resume where the stored positions say (doubt.ts). */
  private async resolveDoubt(doubt: Doubt, first: TopicPartitionOffset[]): Promise<TopicPartitionOffset[]> {
    const { tookEffect, resumeAt } = await resolveDoubt(doubt, first, this.deps.strategy, this.consumer!, this.deps.log);
    this.doubt = undefined;
    if (tookEffect) for (const o of doubt.offsets) if (o.topic === this.deps.step.input) this.committed.set(`${o.partition}`, o.offset);
    return resumeAt;
  }

  private async rejoin(): Promise<State> {
    await this.dropClients();
    if (!this.stopRequested) await this.deps.clock.sleep(1_000);
    return this.stopRequested ? 'stopped' : 'starting';
  }

  private async close(): Promise<State> {
    await this.dropClients();
    return 'stopped';
  }

  /** Forgets everything this membership held. */
  private async dropClients(): Promise<void> {
    this.deps.due.clear();
    this.deps.isolation.reset();
    this.committed.clear();
    const { inflight } = this;
    this.inflight = undefined;
    this.batch = [];
    this.failed = [];
    this.doubt = undefined;
    this.prepared = undefined;
    const { consumer, producer } = this;
    this.consumer = undefined;
    this.producer = undefined;
    await closeClients(consumer, producer, inflight?.outcome, this.deps.log);
    metrics.assignedPartitions.set(stepLabels(this.deps.step), 0);
  }

  private transitioned(from: State, to: State, reason?: Error): void {
    this.deps.hooks.onTransition?.(from, to, reason);
    if (reason) this.lastError = reason.message;
    logTransition(this.deps.log, this.deps.step, from, to, reason);
  }
}
