// A worker for a transactional sink (Postgres): each batch's rows and next offsets are written in
// one sink transaction; records the sink rejects, and poison pills, hop to the retry chain or DLQ in
// a Kafka transaction committed just before the sink commits. Partitions start where the sink says.
//
// Guarantee: the sink's effect is exactly once. A crash between the Kafka commit of the hops and
// the sink commit redoes the batch, so a hop can be produced twice (at-least-once for hops); the
// repeat carries the same origin and is absorbed where it lands (idempotent rows; the DLQ tools
// count an origin once).
import { metrics } from '../observability/metrics.ts';
import type { InboundRecord, OutboundRecord, TopicPartition, TopicPartitionOffset } from '../kafka/types.ts';
import { classify } from '../retry/classify.ts';
import { hopFor } from '../retry/hops.ts';
import { SinkFenced, type SinkRecord, type TransactionalSink } from '../sinks/sink.ts';
import { crashPoint } from './crash.ts';
import { eventId, HEADER, headerText } from './headers.ts';
import { StepIO, type Work } from './step-io.ts';
import { Fenced, nextOffsets, StepWorker, type WorkerDeps } from './worker.ts';

export class SinkWorker extends StepWorker {
  private io!: StepIO;

  constructor(deps: WorkerDeps, private readonly sink: TransactionalSink) {
    super(deps);
  }

  override async start(): Promise<void> {
    this.io = await StepIO.create(this.deps.plan, this.deps.step, this.deps.root, this.deps.serde);
    await this.sink.open();
    this.startSupervising();
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.sink.close();
  }

  protected override async startPositions(partitions: TopicPartition[]): Promise<Array<TopicPartition | TopicPartitionOffset>> {
    const claims = await this.sink.claim(partitions);
    return claims.map((c) => (c.next === null ? { topic: c.topic, partition: c.partition } : { topic: c.topic, partition: c.partition, offset: c.next }));
  }

  protected override released(partitions: TopicPartition[]): void {
    this.sink.release(partitions);
  }

  protected override async runLoop(): Promise<void> {
    while (!this.stopping) {
      await this.applyRebalances();
      this.reportTiers();
      this.lastLoopAt = Date.now();
      const batch = await this.collect();
      if (batch.length === 0) {
        await this.commitIdlePositions(async (offsets) => {
          try {
            const tx = await this.sink.begin([], offsets);
            await tx.commit();
            this.consumer!.commitAsync(offsets);
            return true;
          } catch (err) {
            if (err instanceof SinkFenced) throw new Fenced(err.message);
            return false;
          }
        });
        continue;
      }
      if (await this.deliver(batch)) this.redoBackoffMs = 0;
      else await this.rewind(batch);
    }
  }

  private toSinkRecord(w: Work): SinkRecord {
    const o = w.envelope.origin;
    return { key: w.key, value: w.value, rawKey: w.raw.key, topic: o.topic, partition: o.partition, offset: o.offset, timestamp: o.timestamp, eventId: headerText(w.raw.headers, HEADER.eventId) ?? eventId(this.deps.step.name, o, 0) };
  }

  private async deliver(batch: InboundRecord[]): Promise<boolean> {
    const { step } = this.deps;
    const t0 = performance.now();
    let work: Work[];
    try {
      work = await this.io.decode(batch);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot decode the batch now; retrying it');
      await this.backoff();
      return false;
    }
    const good = work.filter((w) => !w.poison);
    if (this.deps.limiter) for (let i = 0; i < good.length; i++) await this.deps.limiter.acquire();
    const offsets = nextOffsets(batch, this.inputPositions(batch));
    let tx;
    try {
      tx = await this.sink.begin(good.map((w) => this.toSinkRecord(w)), offsets);
    } catch (err) {
      if (err instanceof SinkFenced) throw new Fenced(err.message);
      this.log.warn({ err: (err as Error).message, sink: this.sink.name }, 'sink write failed; redoing the batch');
      await this.backoff();
      return false;
    }
    const now = Date.now();
    const hops: OutboundRecord[] = [];
    for (const w of work) if (w.poison) hops.push(this.hop(w, w.poison, now));
    for (const [i, err] of tx.rejected) hops.push(this.hop(good[i]!, err, now));
    // Hops first: a crash after this and before the sink commit repeats them, never loses them.
    if (hops.length && !(await this.transact(hops, []))) {
      await tx.rollback();
      return false;
    }
    try {
      await tx.commit();
    } catch (err) {
      this.log.warn({ err: (err as Error).message, sink: this.sink.name }, 'sink commit failed; redoing the batch');
      await this.backoff();
      return false;
    }
    crashPoint('after-db-commit');
    this.noteCommitted(offsets);
    this.consumer!.commitAsync(offsets); // for lag tools only: the sink's offsets are the truth
    metrics.sinkRows.inc({ step: step.name, sink: this.sink.name }, good.length - tx.rejected.size);
    metrics.sinkSeconds.observe({ step: step.name, sink: this.sink.name }, (performance.now() - t0) / 1000);
    metrics.recordsIn.inc({ step: step.name, source: 'input' }, batch.length);
    return true;
  }

  private hop(w: Work, err: unknown, now: number): OutboundRecord {
    const failure = classify(err, this.deps.step.retry);
    const hop = hopFor(this.deps.step, w.raw, w.envelope, failure, now);
    if (hop.target === 'dlq') metrics.dlqRecords.inc({ step: this.deps.step.name, error_class: failure.errorClass });
    else metrics.retryHops.inc({ step: this.deps.step.name, tier: String(hop.tier), error_class: failure.errorClass });
    return hop.record;
  }
}
