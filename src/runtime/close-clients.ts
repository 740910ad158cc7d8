// Closing a membership's clients (rejoin, stop). A write in flight holds a transaction call (send
// offsets, commit) on the producer, and closing the producer under it deadlocks librdkafka — the
// call waits for a reply the closing client never sends, the close waits for the call — so the
// worker's process can never exit (seen in a leader-kill run: native stacks showed
// send_offsets_to_transaction and the producer's destroy waiting on each other). So the write
// ends first; its outcome no longer matters.
import type { StepConsumer, StepProducer } from '../kafka/ports.ts';
import type { Logger } from '../observability/logger.ts';
import type { Outcome } from './transaction.ts';

/** A write's transaction calls each end within 30 s (their timeout): its begin, offsets and commit. */
const WRITE_END_BOUND_MS = 90_000;

/** Waits for a write's end, at most `ms`; false when it is still running. */
export async function writeEnded(outcome: Promise<Outcome>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([outcome.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes the consumer and the producer once the write in flight (if any) ended, or after the bound. */
export async function closeClients(
  consumer: StepConsumer | undefined,
  producer: StepProducer | undefined,
  inflight: Promise<Outcome> | undefined,
  log: Logger,
): Promise<void> {
  if (inflight && !(await writeEnded(inflight, WRITE_END_BOUND_MS)))
    log.warn({ waitedMs: WRITE_END_BOUND_MS }, 'a write in flight did not end; closing its clients anyway');
  await consumer?.disconnect().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
}
