// Follows partitions from given offsets outside any consumer group (nothing is committed), handing
// batches to the caller until it says stop, nothing arrives for a while, or the signal aborts:
// `weir consume`. Unlike readToEnd (reader.ts) the end of the log is not a reason to stop.
import type { KafkaConnection } from './client-config.ts';
import { KafkaConsumer } from './consumer.ts';
import type { InboundRecord, IsolationLevel, TopicPartitionOffset } from './types.ts';

/** librdkafka's logical offset for "the oldest record the partition holds". */
export const OFFSET_BEGINNING = -2;

export interface FollowOptions {
  /** Partitions and where to start (an offset, or OFFSET_BEGINNING). */
  partitions: TopicPartitionOffset[];
  isolation: IsolationLevel;
  /** Stop when nothing arrived for this long; default: never. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Returns true to stop (the rest of the partitions stays unread). */
  onBatch(records: InboundRecord[]): boolean | void | Promise<boolean | void>;
}

export type FollowEnd = 'done' | 'idle' | 'aborted';

const POLL_MS = 200;

export async function followPartitions(conn: KafkaConnection, opts: FollowOptions): Promise<FollowEnd> {
  if (opts.signal?.aborted) return 'aborted';
  const consumer = await KafkaConsumer.connect(conn, {
    name: 'follow',
    // Required by the client; never joined (assign, not subscribe) and never committed to.
    groupId: `weir-follow-${process.pid}-${Date.now()}`,
    isolation: opts.isolation,
  });
  try {
    consumer.assign(opts.partitions);
    let lastArrival = Date.now();
    for (;;) {
      if (opts.signal?.aborted) return 'aborted';
      const idleFor = Date.now() - lastArrival;
      if (opts.idleTimeoutMs !== undefined && idleFor >= opts.idleTimeoutMs) return 'idle';
      const wait = opts.idleTimeoutMs === undefined ? POLL_MS : Math.max(1, Math.min(POLL_MS, opts.idleTimeoutMs - idleFor));
      const batch = await consumer.consume(1_000, wait);
      if (batch.length === 0) continue;
      lastArrival = Date.now();
      if (await opts.onBatch(batch)) return 'done';
    }
  } finally {
    await consumer.disconnect();
  }
}
