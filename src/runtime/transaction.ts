// One batch's write to Kafka: outputs, hops and the next input offsets in one transaction
// (exactly-once), or produced then committed (at-least-once, for benchmarks and the fault suite's
// self-check). The result is an outcome, never a rejection: what follows a failure is the
// lifecycle table's decision, not this function's.
import { metrics, type StepLabels } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';
import type { StepConsumer, StepProducer } from '../kafka/ports.ts';
import type { OutboundRecord, TopicPartitionOffset } from '../kafka/types.ts';
import type { WorkerHooks } from './hooks.ts';

export type Outcome =
  | { ok: true }
  | {
      ok: false;
      error: unknown;
      /** a Kafka transaction is open and must be aborted */
      open: boolean;
      /** the write may have taken effect (a commit whose answer was lost): resume from the stored positions */
      uncertain?: boolean;
    };

export const COMMITTED: Outcome = { ok: true };

export interface TransactionContext {
  labels: StepLabels;
  producer: StepProducer;
  consumer: StepConsumer;
  exactlyOnce: boolean;
  timeoutMs: number;
  hooks: WorkerHooks;
  log: Logger;
}

const ms = (x: number) => Math.round(x * 10) / 10;

export async function writeBatch(
  tx: TransactionContext,
  records: OutboundRecord[],
  offsets: TopicPartitionOffset[],
  timings: Record<string, number> = {},
): Promise<Outcome> {
  if (!tx.exactlyOnce) return deliverAtLeastOnce(tx, records, offsets);
  const { producer, hooks } = tx;
  // Not `records` after sending: the array need not outlive the send (the commit can take a while).
  const count = records.length;
  let open = false;
  try {
    const t0 = performance.now();
    await producer.beginTransaction();
    open = true;
    await producer.sendAll(records);
    const t1 = performance.now();
    // Under a test crash point, make sure the records are in the log (mid-transaction) first.
    if (hooks.crashArmed?.('after-produce') || hooks.crashArmed?.('after-send-offsets')) await producer.flush();
    // Only for batches that produced something: an offsets-only transaction leaves nothing for a fault test to see.
    if (count) hooks.crashPoint?.('after-produce');
    if (offsets.length) await producer.sendOffsetsToTransaction(offsets, tx.consumer, tx.timeoutMs);
    const t2 = performance.now();
    hooks.crashPoint?.('after-send-offsets');
    await producer.commitTransaction(tx.timeoutMs);
    metrics.transactions.inc({ ...tx.labels, outcome: 'committed' });
    metrics.transactionSeconds.observe(tx.labels, (performance.now() - t0) / 1000);
    if (tx.log.isLevelEnabled('debug')) {
      const phases = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, ms(v)]));
      tx.log.debug(
        {
          records: count,
          partitions: offsets.length,
          ...phases,
          produceMs: ms(t1 - t0),
          sendOffsetsMs: ms(t2 - t1),
          commitMs: ms(performance.now() - t2),
        },
        'committed batch',
      );
    }
    return COMMITTED;
  } catch (error) {
    metrics.transactions.inc({ ...tx.labels, outcome: 'aborted' });
    return { ok: false, error, open };
  }
}

/** Outputs acknowledged first, offsets committed after: a crash between the two repeats the batch. */
async function deliverAtLeastOnce(tx: TransactionContext, records: OutboundRecord[], offsets: TopicPartitionOffset[]): Promise<Outcome> {
  try {
    await tx.producer.sendAll(records);
    await tx.producer.flush();
    if (records.length) tx.hooks.crashPoint?.('after-produce'); // outputs delivered, offsets not yet committed
    tx.consumer.commitSync(offsets);
    return COMMITTED;
  } catch (error) {
    return { ok: false, error, open: false };
  }
}
