// Polling one batch up to its bounds (records, bytes, time); it ends early for a rebalance or a
// stop. Retry-tier records that are not due yet are held back (due.ts).
import type { StepConsumer } from '../kafka/ports.ts';
import type { InboundRecord } from '../kafka/types.ts';
import type { Clock } from './clock.ts';
import type { DuePartitions } from './due.ts';

export interface BatchBounds {
  records: number;
  bytes: number;
  timeMs: number;
}

/** How long an empty poll waits before the loop goes round (reports, idle commits, stop checks). */
const IDLE_POLL_MS = 500;

export async function collectBatch(
  consumer: StepConsumer,
  bounds: BatchBounds,
  due: DuePartitions,
  clock: Clock,
  stopping: () => boolean,
): Promise<InboundRecord[]> {
  const batch: InboundRecord[] = [];
  let bytes = 0;
  const deadline = clock.now() + bounds.timeMs;
  while (batch.length < bounds.records && bytes < bounds.bytes && !stopping() && !consumer.hasPendingRebalance) {
    const wait = batch.length === 0 ? IDLE_POLL_MS : deadline - clock.now();
    if (wait <= 0) break;
    const polled = await consumer.consume(Math.min(bounds.records - batch.length, 10_000), wait);
    // Nothing came within the wait: the batch's time is up (or the poll was idle).
    if (polled.length === 0) break;
    for (const r of due.filter(polled, consumer)) {
      batch.push(r);
      bytes += r.size;
    }
  }
  return batch;
}
