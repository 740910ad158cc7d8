// One step's worker: consume → decode → process → produce outputs, retry hops and DLQ records →
// send the next offsets with the group metadata → commit; one transaction per bounded batch.
// Rebalances are completed between batches, when no transaction is open. A fenced producer means
// this instance is a zombie: it drops its clients and rejoins as a new member.
import type { Logger } from '../observability/logger.ts';
import { metrics } from '../observability/metrics.ts';
import type { KafkaConnection } from '../kafka/client-config.ts';
import { KafkaAdmin } from '../kafka/admin.ts';
import { KafkaConsumer } from '../kafka/consumer.ts';
import { isKafkaError, KafkaError, toKafkaError } from '../kafka/errors.ts';
import { KafkaProducer } from '../kafka/producer.ts';
import { tpKey, type InboundRecord, type OutboundRecord, type TopicPartition, type TopicPartitionOffset } from '../kafka/types.ts';
import { KeyChains, type Staging } from '../retry/ordered.ts';
import { loadKeyChains } from '../retry/chain-state.ts';
import type { AvroSerde } from '../schema/serde.ts';
import type { Plan, PlannedStep } from '../topology/plan.ts';
import { crashArmed, crashPoint } from './crash.ts';
import { BatchProcessor, type PreparedBatch } from './batch-processor.ts';
import { loadProcessor, type Processor } from './processors.ts';
import { StepIO } from './step-io.ts';
import { DuePartitions } from './due.ts';
import type { RateLimiter } from '../ratelimit/limiter.ts';
import type { WorkerStatus } from '../observability/server.ts';

export interface WorkerDeps {
  plan: Plan;
  step: PlannedStep;
  root: string;
  kafka: KafkaConnection;
  serde: AvroSerde;
  logger: Logger;
  /** Makes the transactional id: a stable id per replica lets a restart fence its predecessor at once. */
  instanceId: string;
  sessionTimeoutMs?: number;
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
}

export class Fenced extends Error {
  override name = 'Fenced';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class StepWorker {
  protected stopping = false;
  protected consumer: KafkaConsumer | undefined;
  protected producer: KafkaProducer | undefined;
  protected batches!: BatchProcessor;
  private readonly chains: KeyChains | undefined;
  protected readonly log: Logger;
  protected readonly due: DuePartitions;
  protected readonly tierTopics: string[];
  protected redoBackoffMs = 0;
  /** Phases of the batch in flight, for the debug log. */
  protected timings: Record<string, number> = {};
  private done: Promise<void> = Promise.resolve();

  constructor(protected readonly deps: WorkerDeps) {
    this.log = deps.logger.child({ step: deps.step.name });
    this.tierTopics = deps.step.retry.tiers.map((t) => t.topic);
    this.due = new DuePartitions((tps) => this.consumer?.resume(tps));
    this.chains = deps.step.retry.preserveKeyOrder ? new KeyChains() : undefined;
  }

  private get exactlyOnce(): boolean {
    return this.deps.delivery !== 'at-least-once';
  }

  get transactionalId(): string {
    return `${this.deps.step.transactionalIdPrefix}${this.deps.instanceId}`;
  }

  async start(): Promise<void> {
    const io = await StepIO.create(this.deps.plan, this.deps.step, this.deps.root, this.deps.serde);
    const processor = this.deps.processor ?? (await loadProcessor(this.deps.step, this.deps.root));
    this.batches = new BatchProcessor(this.deps.step, io, processor, this.log, this.chains, this.deps.limiter);
    this.startSupervising();
  }

  protected startSupervising(): void {
    this.done = this.supervise();
  }

  /** Finishes the batch in flight, commits, leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }

  protected async supervise(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.generation();
      } catch (err) {
        if (err instanceof Fenced) {
          metrics.fenced.inc({ step: this.deps.step.name });
          this.log.warn({ err: err.message }, 'fenced: another instance owns our partitions or transactional id; rejoining as a new member');
        }
        else this.log.error({ err }, 'worker failed; restarting its clients');
        if (!this.stopping) await sleep(1_000);
      }
    }
  }

  /** One life of the consumer and transactional producer. */
  private async generation(): Promise<void> {
    const { step, kafka } = this.deps;
    this.consumer = await KafkaConsumer.connect(kafka, {
      name: `${step.name}-consumer`,
      groupId: step.group,
      isolation: 'read_committed',
      manualRebalance: true,
      sessionTimeoutMs: this.deps.sessionTimeoutMs ?? 45_000,
      logger: this.log,
      extra: { 'queued.max.messages.kbytes': 16_384 },
    });
    try {
      await this.newProducer();
      this.consumer.subscribe([step.input]);
      this.log.info({ group: step.group, ...(this.exactlyOnce ? { transactionalId: this.transactionalId } : { delivery: 'at-least-once' }) }, 'started');
      await this.runLoop();
    } finally {
      this.due.clear();
      this.lagAdmin?.disconnect();
      this.lagAdmin = undefined;
      await this.consumer.disconnect().catch(() => undefined);
      await this.producer?.disconnect().catch(() => undefined);
      this.consumer = undefined;
      this.producer = undefined;
      this.log.info('stopped');
    }
  }

  protected async newProducer(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    const { step, kafka } = this.deps;
    this.producer = await KafkaProducer.connect(kafka, {
      name: `${step.name}-producer`,
      ...(this.exactlyOnce ? { transactionalId: this.transactionalId, transactionTimeoutMs: step.transactionTimeoutMs } : {}),
      logger: this.log,
      extra: { partitioner: 'murmur2_random' }, // Java clients' key → partition mapping
    });
    // Fences any earlier producer with this id and aborts its open transaction.
    if (this.exactlyOnce) await this.producer.initTransactions(step.transactionTimeoutMs);
  }

  /** Completes rebalances; only called between batches, when no transaction is open. */
  protected async applyRebalances(): Promise<void> {
    const consumer = this.consumer!;
    for (const event of consumer.takeRebalanceEvents()) {
      // The retry tiers of partition p follow input partition p: one owner per partition index.
      const all = [...event.partitions, ...event.partitions.flatMap((tp) => this.tierTopics.map((topic) => ({ topic, partition: tp.partition })))];
      if (event.kind === 'assign') {
        this.joined = true;
        if (this.chains) {
          // Offsets fetched stable wait for a transaction of the previous owner that already holds
          // offsets of these partitions; any other one of its transactions can no longer commit
          // (its generation is gone). Only then is the keys topic complete (see loadKeyChains).
          await consumer.committed(all, this.deps.step.transactionTimeoutMs + 30_000);
          await this.rebuildChains(event.partitions.map((p) => p.partition));
        }
        consumer.completeAssign(await this.startPositions(all));
        this.log.info({ partitions: event.partitions.map((p) => p.partition) }, 'assigned');
      } else {
        for (const tp of all) {
          this.due.forget(tp);
          this.committed.delete(tpKey(tp));
        }
        for (const tp of event.partitions) this.chains?.forget(tp.partition);
        this.released(all);
        consumer.completeRevoke(all);
        this.log.info({ partitions: event.partitions.map((p) => p.partition), lost: event.lost }, 'revoked');
      }
      metrics.assignedPartitions.set({ step: this.deps.step.name }, consumer.assignment().filter((tp) => tp.topic === this.deps.step.input).length);
    }
  }

  private readonly committed = new Map<string, number>();
  private joined = false;
  protected lastLoopAt = Date.now();

  /** For /readyz: joined the group, partitions held, and whether the loop still goes round. */
  status(): WorkerStatus {
    return {
      step: this.deps.step.name,
      joined: this.joined,
      partitions: this.consumer?.assignment().filter((tp) => tp.topic === this.deps.step.input).length ?? 0,
      sinceLoopMs: Date.now() - this.lastLoopAt,
      stuckAfterMs: Math.max(60_000, 2 * this.deps.step.transactionTimeoutMs),
    };
  }
  private lastIdleCheck = 0;

  protected noteCommitted(offsets: TopicPartitionOffset[]): void {
    for (const o of offsets) this.committed.set(tpKey(o), o.offset);
  }

  /**
   * When idle: commit input positions that moved past the last commit without new records — the
   * commit marker that ended the last transaction arrives after its records — so a caught-up group
   * shows lag 0. (Kafka Streams does the same, KAFKA-6607.)
   */
  protected async commitIdlePositions(commit: (offsets: TopicPartitionOffset[]) => Promise<boolean>): Promise<void> {
    if (Date.now() - this.lastIdleCheck < 1_000 || !this.consumer) return;
    this.lastIdleCheck = Date.now();
    const input = this.consumer.assignment().filter((tp) => tp.topic === this.deps.step.input && this.committed.has(tpKey(tp)));
    const moved = this.consumer.positions(input).filter((p) => p.offset > (this.committed.get(tpKey(p)) ?? Infinity) && (p.high < 0 || p.offset <= p.high));
    const offsets = moved.map(({ topic, partition, offset }) => ({ topic, partition, offset }));
    if (offsets.length && (await commit(offsets))) this.noteCommitted(offsets);
  }

  /**
   * Positions of the batch's input partitions when the consumer has nothing more of them in hand
   * (so the position only skipped commit markers or aborted records). Tier partitions are left
   * out: a held tier partition is being rewound.
   */
  protected inputPositions(batch: InboundRecord[]): TopicPartitionOffset[] {
    const input = batch.filter((r) => r.topic === this.deps.step.input);
    if (input.length === 0 || !this.consumer) return [];
    const parts = [...new Map(input.map((r) => [r.partition, { topic: r.topic, partition: r.partition }])).values()];
    return this.consumer.positions(parts).filter((p) => p.offset >= 0 && (p.high < 0 || p.offset <= p.high));
  }

  /** Where newly assigned partitions start; by default the group's committed offsets. */
  protected async startPositions(partitions: TopicPartition[]): Promise<Array<TopicPartition | TopicPartitionOffset>> {
    return partitions;
  }

  /** Partitions this instance no longer owns. */
  protected released(_partitions: TopicPartition[]): void {}

  /** The batch loop; transform and HTTP steps pipeline two batches (see below). */
  protected runLoop(): Promise<void> {
    return this.pipeline();
  }

  /** Ordered retries: which keys of these partitions are in the chain, from the compacted topic. */
  private async rebuildChains(partitions: number[]): Promise<void> {
    // A transaction of the partitions' previous owner ends by its commit, its abort, or the
    // coordinator's timeout; past that, something else is wrong and the error stops the worker.
    await loadKeyChains(this.deps.kafka, this.deps.step.retry.keysTopic!, partitions, this.chains!, this.deps.step.transactionTimeoutMs + 30_000);
    this.log.info({ partitions, keysInChain: partitions.reduce((n, p) => n + this.chains!.keysInChain(p), 0) }, 'rebuilt ordered-retry state');
  }

  private lastTierReport = 0;
  private lastLagReport = 0;
  private lagAdmin: KafkaAdmin | undefined;

  /** Consumer lag per input partition (last stable offset − position), every 15 s, off the hot path. */
  private reportLag(): void {
    if (Date.now() - this.lastLagReport < 15_000 || !this.consumer) return;
    this.lastLagReport = Date.now();
    const input = this.consumer.assignment().filter((tp) => tp.topic === this.deps.step.input);
    if (input.length === 0) return;
    const positions = this.consumer.positions(input);
    this.lagAdmin ??= KafkaAdmin.create(this.deps.kafka, 10_000);
    void this.lagAdmin.offsets(input, 'latest').then(
      (ends) => {
        for (const e of ends) {
          const pos = positions.find((p) => p.partition === e.partition)?.offset ?? -1;
          if (pos >= 0) metrics.consumerLag.set({ step: this.deps.step.name, topic: e.topic, partition: String(e.partition) }, Math.max(0, e.offset - pos));
        }
      },
      () => undefined,
    );
  }

  /** Retry-tier depth and oldest waiting record, from the consumer's local view, every few seconds. */
  protected reportTiers(): void {
    this.reportLag();
    if (Date.now() - this.lastTierReport < 5_000 || !this.consumer) return;
    this.lastTierReport = Date.now();
    const tiers = this.consumer.assignment().filter((tp) => this.tierTopics.includes(tp.topic));
    const byTopic = new Map<string, { depth: number; oldest: number | undefined }>();
    for (const p of this.consumer.positions(tiers)) {
      const t = byTopic.get(p.topic) ?? { depth: 0, oldest: undefined };
      if (p.high >= 0 && p.offset >= 0) t.depth += Math.max(0, p.high - p.offset);
      const since = this.due.waitingSince(p);
      if (since !== undefined) t.oldest = Math.min(t.oldest ?? since, since);
      byTopic.set(p.topic, t);
    }
    for (const [topic, t] of byTopic) {
      metrics.retryTierDepth.set({ step: this.deps.step.name, topic }, t.depth);
      metrics.retryTierOldestSeconds.set({ step: this.deps.step.name, topic }, t.oldest === undefined ? 0 : (Date.now() - t.oldest) / 1000);
    }
  }

  /** Records up to the batch bounds (records, bytes, time); stops early for a rebalance or stop. */
  protected async collect(): Promise<InboundRecord[]> {
    const { records: maxRecords, bytes: maxBytes, timeMs } = this.deps.step.batch;
    const consumer = this.consumer!;
    const batch: InboundRecord[] = [];
    let bytes = 0;
    const deadline = Date.now() + timeMs;
    while (batch.length < maxRecords && bytes < maxBytes && !this.stopping && !consumer.hasPendingRebalance) {
      const wait = batch.length === 0 ? 500 : deadline - Date.now();
      if (wait <= 0) break;
      const got = this.due.filter(await consumer.consume(Math.min(maxRecords - batch.length, 10_000), wait), consumer);
      for (const r of got) {
        batch.push(r);
        bytes += r.size;
      }
      if (batch.length === 0 && Date.now() > deadline) break;
    }
    return batch;
  }

  /**
   * Two batches overlap: while batch N's transaction commits, batch N+1 is collected and processed
   * (nothing of it is produced before N is committed). If N aborts, N+1 is dropped and both are
   * rewound. A pending rebalance or stop drains the pipeline first, so rebalances are completed
   * with no transaction open.
   */
  protected async pipeline(): Promise<void> {
    type Inflight = { batch: InboundRecord[]; offsets: TopicPartitionOffset[]; staging?: Staging; result: Promise<boolean> };
    let inflight: Inflight | undefined;
    const settle = async (): Promise<{ ok: boolean; batch: InboundRecord[] } | undefined> => {
      if (!inflight) return undefined;
      const { batch, offsets, staging, result } = inflight;
      inflight = undefined;
      const ok = await result;
      if (ok) {
        this.redoBackoffMs = 0;
        staging?.apply();
        this.noteCommitted(offsets);
      }
      return { ok, batch };
    };
    while (!this.stopping || inflight) {
      if (!inflight) await this.applyRebalances();
      this.reportTiers();
      this.lastLoopAt = Date.now();
      const c0 = performance.now();
      const batch = this.stopping ? [] : await this.collect();
      this.timings = { collectMs: performance.now() - c0 };
      const prepared = batch.length > 0 ? await this.prepare(batch, inflight?.staging) : undefined;
      const previous = await settle();
      if (previous && !previous.ok) {
        await this.rewind([...previous.batch, ...batch]); // N aborted: N+1 was read after it
        continue;
      }
      if (!prepared) {
        if (batch.length === 0 && !inflight) await this.commitIdlePositions((offsets) => this.transact([], offsets));
        continue;
      }
      const offsets = nextOffsets(batch, this.inputPositions(batch));
      const result = this.transact(prepared.records, offsets, { ...this.timings });
      // Mark it handled at once: a fenced transaction may reject while we are still collecting.
      result.catch(() => undefined);
      inflight = { batch, offsets, result, ...(prepared.staging ? { staging: prepared.staging } : {}) };
      metrics.recordsOut.inc({ step: this.deps.step.name }, prepared.outputs);
      if (this.stopping || this.consumer!.hasPendingRebalance) {
        const done = await settle();
        if (done && !done.ok) await this.rewind(done.batch);
      }
    }
  }

  /** The batch's records to produce; undefined (after rewinding) if it must be retried later. */
  protected async prepare(batch: InboundRecord[], parent: Staging | undefined): Promise<PreparedBatch | undefined> {
    const t0 = performance.now();
    try {
      const prepared = await this.batches.prepare(batch, parent);
      this.timings.processMs = performance.now() - t0;
      metrics.processSeconds.observe({ step: this.deps.step.name }, (performance.now() - t0) / 1000);
      metrics.batchRecords.observe({ step: this.deps.step.name }, batch.length);
      return prepared;
    } catch (err) {
      // The registry is unreachable: the records are fine. Rewind and try again later.
      this.log.warn({ err: (err as Error).message }, 'cannot process the batch now; retrying it');
      await this.rewind(batch);
      await this.backoff();
      return undefined;
    }
  }

  /** At-least-once: outputs acknowledged first, offsets committed after; a crash between repeats. */
  private async deliverAtLeastOnce(records: OutboundRecord[], offsets: TopicPartitionOffset[]): Promise<boolean> {
    try {
      await this.producer!.sendAll(records);
      await this.producer!.flush();
      if (records.length) crashPoint('after-produce'); // outputs delivered, offsets not yet committed
      this.consumer!.commitSync(offsets);
      return true;
    } catch (err) {
      this.log.warn({ reason: (err as Error).message }, 'delivery failed; rewinding the batch');
      await this.backoff();
      return false;
    }
  }

  /** One transaction; true when committed. Fencing ends this generation. */
  protected async transact(records: OutboundRecord[], offsets: TopicPartitionOffset[], timings: Record<string, number> = {}): Promise<boolean> {
    if (!this.exactlyOnce) return this.deliverAtLeastOnce(records, offsets);
    const { step } = this.deps;
    const producer = this.producer!;
    const timeout = Math.min(step.transactionTimeoutMs, 30_000);
    try {
      const t0 = performance.now();
      await producer.beginTransaction();
      await producer.sendAll(records);
      const t1 = performance.now();
      // Under a test crash point, make sure the records are in the log (mid-transaction) first.
      if (crashArmed('after-produce') || crashArmed('after-send-offsets')) await producer.flush();
      // Counted only for batches that produced something: an offsets-only transaction (an idle step,
      // an HTTP step) leaves nothing behind for a fault test to see.
      if (records.length) crashPoint('after-produce');
      if (offsets.length) await producer.sendOffsetsToTransaction(offsets, this.consumer!, timeout);
      const t2 = performance.now();
      crashPoint('after-send-offsets');
      await producer.commitTransaction(timeout);
      metrics.transactions.inc({ step: step.name, outcome: 'committed' });
      metrics.transactionSeconds.observe({ step: step.name }, (performance.now() - t0) / 1000);
      const ms = (x: number) => Math.round(x * 10) / 10;
      this.log.debug({ records: records.length, partitions: offsets.length, ...Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, ms(v)])), produceMs: ms(t1 - t0), sendOffsetsMs: ms(t2 - t1), commitMs: ms(performance.now() - t2) }, 'committed batch');
      return true;
    } catch (err) {
      const e = isKafkaError(err) ? err : toKafkaError(err, 'transaction');
      if (e.kind === 'fenced') throw new Fenced(e.message);
      metrics.transactions.inc({ step: step.name, outcome: 'aborted' });
      this.log.warn({ reason: e.message, kind: e.kind }, 'transaction aborted; rewinding the batch');
      const aborted = await producer.abortTransaction(timeout).then(() => true, (abortErr: unknown) => {
        if (isKafkaError(abortErr, 'fenced')) throw new Fenced((abortErr as KafkaError).message);
        return false;
      });
      // After a timeout or an unknown outcome, a fresh producer (same id) fences the old epoch so
      // that no delayed commit can tear the transaction.
      if (!aborted || e.kind !== 'abortable') await this.newProducer();
      await this.backoff();
      return false;
    }
  }

  /** Puts every partition of the batch back to its first record (the committed position). */
  protected async rewind(batch: InboundRecord[]): Promise<void> {
    const first = new Map<string, TopicPartitionOffset>();
    for (const r of batch) if (!first.has(tpKey(r))) first.set(tpKey(r), { topic: r.topic, partition: r.partition, offset: r.offset });
    const assigned = new Set(this.consumer!.assignment().map(tpKey));
    for (const tpo of first.values()) if (assigned.has(tpKey(tpo))) await this.consumer!.seek(tpo).catch((err: unknown) => this.log.warn({ err }, 'seek failed'));
  }

  protected async backoff(): Promise<void> {
    this.redoBackoffMs = Math.min(Math.max(this.redoBackoffMs * 2, 200), 10_000);
    await sleep(this.redoBackoffMs);
  }
}

/**
 * The next offset to read of each partition in the batch: last processed + 1 — or, past the
 * commit markers that follow it, the consumer's position, so that a caught-up group shows lag 0
 * against the last stable offset (positions are only given for partitions read to their end).
 */
export function nextOffsets(batch: InboundRecord[], positions: TopicPartitionOffset[] = []): TopicPartitionOffset[] {
  // WEIR_TEST_BREAK=offset-off-by-one commits the last processed offset instead of the next one:
  // the fault tests use it to show they detect the duplicates this bug causes.
  const delta = process.env.WEIR_TEST_BREAK === 'offset-off-by-one' ? 0 : 1;
  const next: TopicPartitionOffset[] = [];
  for (const r of batch) {
    // Batches hold few partitions: a linear scan beats building a string key per record.
    const seen = next.find((n) => n.partition === r.partition && n.topic === r.topic);
    if (seen) seen.offset = Math.max(seen.offset, r.offset + delta);
    else next.push({ topic: r.topic, partition: r.partition, offset: r.offset + delta });
  }
  if (delta === 1) {
    for (const n of next) {
      const p = positions.find((x) => x.topic === n.topic && x.partition === n.partition);
      if (p && p.offset > n.offset) n.offset = p.offset;
    }
  }
  return next;
}
