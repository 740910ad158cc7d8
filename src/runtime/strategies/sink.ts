// Write to a transactional sink (Postgres): each batch's rows and next offsets go into one sink
// transaction; records the sink rejects, and poison pills, hop to the retry chain or DLQ in a Kafka
// transaction committed just before the sink commits. Partitions start where the sink says.
//
// Guarantee: the sink's effect is exactly once. A crash between the Kafka commit of the hops and
// the sink commit redoes the batch, so a hop can be produced twice (at-least-once for hops); the
// repeat carries the same origin and is absorbed where it lands (idempotent rows; the DLQ tools
// count an origin once).
import { metrics, stepLabels } from '../../observability/metrics.ts';
import type { InboundRecord, OutboundRecord, TopicPartition, TopicPartitionOffset } from '../../kafka/types.ts';
import type { RateLimiter } from '../../ratelimit/limiter.ts';
import { classify } from '../../retry/classify.ts';
import { hopFor } from '../../retry/hops.ts';
import { AlreadyApplied, SinkFenced, type SinkOffset, type SinkRecord, type TransactionalSink } from '../../sinks/sink.ts';
import type { PlannedStep } from '../../topology/plan.ts';
import type { Clock } from '../clock.ts';
import { HopLog } from '../hop-log.ts';
import type { SizeLimits } from '../size-limits.ts';
import type { Logger } from '../../observability/logger.ts';
import { eventId, HEADER, headerText } from '../headers.ts';
import { firstOffsets } from '../positions.ts';
import type { StepIO, Work } from '../step-io.ts';
import { TransientFailure, type BatchStrategy } from '../strategy.ts';
import { COMMITTED, writeBatch, type Outcome } from '../transaction.ts';

export interface SinkBatch {
  batch: InboundRecord[];
  work: Work[];
  good: Work[];
}

/**
 * A sink failure as the lifecycle sees it: fenced, or transient (the database will be back). A
 * failed COMMIT may have committed (its answer lost), and AlreadyApplied says an earlier one did:
 * both resume where the sink's offsets say.
 */
const failed = (err: unknown, uncertain = err instanceof AlreadyApplied): Outcome => ({
  ok: false,
  error: err instanceof SinkFenced ? err : new TransientFailure(err),
  open: false,
  uncertain,
});

/** Each partition's next offset with the first offset the batch read there (an idle commit's offsets: their own). */
function withFirsts(offsets: TopicPartitionOffset[], batch: InboundRecord[]): SinkOffset[] {
  const firsts = firstOffsets(batch);
  return offsets.map((o) => ({ ...o, from: firsts.find((f) => f.partition === o.partition && f.topic === o.topic)?.offset ?? o.offset }));
}

export function sinkStrategy(
  step: PlannedStep,
  io: StepIO,
  sink: TransactionalSink,
  clock: Clock,
  log: Logger,
  limiter?: RateLimiter,
  sizes?: SizeLimits,
): BatchStrategy<SinkBatch> {
  const toSinkRecord = (w: Work): SinkRecord => {
    const o = w.envelope.origin;
    return {
      key: w.key,
      value: w.value,
      rawKey: w.raw.key,
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
      timestamp: o.timestamp,
      eventId: headerText(w.raw.headers, HEADER.eventId) ?? eventId(step.name, o, 0),
    };
  };
  const hops = new HopLog(step, log, clock);
  const labels = stepLabels(step);
  const hop = (w: Work, err: unknown, now: number): OutboundRecord => {
    const failure = classify(err, step.retry);
    const h = hopFor(step, w.raw, w.envelope, failure, now);
    hops.hopped(h, w.envelope, failure);
    return sizes ? sizes.bound(h.record) : h.record;
  };
  return {
    pipelined: false,
    open: () => sink.open(),
    close: () => sink.close(),
    async startPositions(partitions: TopicPartition[]) {
      // An unreachable database is transient (rejoin and try again); a claim taken over is fencing.
      const claims = await sink.claim(partitions).catch((err: unknown) => {
        throw err instanceof SinkFenced ? err : new TransientFailure(err);
      });
      return claims.map((c) =>
        c.next === null ? { topic: c.topic, partition: c.partition } : { topic: c.topic, partition: c.partition, offset: c.next },
      );
    },
    async storedPositions(partitions) {
      const claims = await sink.positions(partitions).catch((err: unknown) => {
        throw err instanceof SinkFenced ? err : new TransientFailure(err);
      });
      return claims.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.next ?? -1 }));
    },
    released: (partitions) => sink.release(partitions),
    async prepare(batch) {
      const work = await io.decode(batch);
      const good = work.filter((w) => !w.poison);
      if (limiter) for (let i = 0; i < good.length; i++) await limiter.acquire();
      return { batch, work, good };
    },
    async write(prepared, offsets, tx) {
      const t0 = performance.now();
      const good = prepared?.good ?? [];
      let sinkTx;
      try {
        sinkTx = await sink.begin(good.map(toSinkRecord), withFirsts(offsets, prepared?.batch ?? []));
      } catch (err) {
        return failed(err);
      }
      const now = clock.now();
      const hops: OutboundRecord[] = [];
      for (const w of prepared?.work ?? []) if (w.poison) hops.push(hop(w, w.poison, now));
      for (const [i, err] of sinkTx.rejected) hops.push(hop(good[i]!, err, now));
      // Hops first: a crash after this and before the sink commit repeats them, never loses them.
      if (hops.length) {
        const written = await writeBatch(tx, hops, []);
        if (!written.ok) {
          await sinkTx.rollback();
          return written;
        }
      }
      try {
        await sinkTx.commit();
      } catch (err) {
        return failed(err, true);
      }
      tx.hooks.crashPoint?.('after-db-commit');
      tx.consumer.commitAsync(offsets); // for lag tools only: the sink's offsets are the truth
      if (prepared) {
        metrics.sinkRows.inc({ ...labels, sink: sink.name }, good.length - sinkTx.rejected.size);
        metrics.sinkSeconds.observe({ ...labels, sink: sink.name }, (performance.now() - t0) / 1000);
        metrics.recordsIn.inc({ ...labels, source: 'input' }, prepared.batch.length);
      }
      return COMMITTED;
    },
    committed: () => undefined,
  };
}
