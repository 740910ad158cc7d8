// Reads partitions from a start offset up to their current end (EOF), outside any consumer group:
// for tools (DLQ inspection, verification) and tests. With read_committed the end is the last
// stable offset, so records of open or aborted transactions are never returned.
import { KafkaAdmin } from './admin.ts';
import type { KafkaConnection } from './client-config.ts';
import { KafkaConsumer } from './consumer.ts';
import { tpKey, type InboundRecord, type IsolationLevel, type TopicPartition, type TopicPartitionOffset } from './types.ts';

export interface ReadOptions {
  isolation?: IsolationLevel;
  /** Start offsets per partition; default: the earliest available. */
  from?: TopicPartitionOffset[];
  /** Only these partitions; default: all partitions of the topics. */
  partitions?: TopicPartition[];
  /** Give up if the end is not reached by then. */
  timeoutMs?: number;
  /** Stop after this many records (the rest stays unread). */
  limit?: number;
  onRecord?: (record: InboundRecord) => void;
}

const OFFSET_BEGINNING = -2;

export async function readToEnd(conn: KafkaConnection, topics: string[], opts: ReadOptions = {}): Promise<InboundRecord[]> {
  const admin = KafkaAdmin.create(conn);
  let partitions: TopicPartition[];
  try {
    partitions = opts.partitions ?? (await admin.partitionsOf(topics));
  } finally {
    admin.disconnect();
  }
  if (partitions.length === 0) return [];
  const consumer = await KafkaConsumer.connect(conn, {
    name: 'reader',
    groupId: `weir-reader-${process.pid}-${Date.now()}`,
    isolation: opts.isolation ?? 'read_committed',
    partitionEof: true,
  });
  // EOF events are emitted before the batch they end is handed over, so compare offsets rather
  // than flags: a partition is done when its latest EOF lies beyond the last record read from it.
  const eofAt = new Map<string, number>();
  const lastRead = new Map<string, number>();
  consumer.onPartitionEof((tp) => eofAt.set(tpKey(tp), tp.offset));
  const done = (key: string) => (eofAt.get(key) ?? -Infinity) > (lastRead.get(key) ?? -1);
  const starts = new Map((opts.from ?? []).map((t) => [tpKey(t), t.offset]));
  consumer.assign(partitions.map((tp) => ({ ...tp, offset: starts.get(tpKey(tp)) ?? OFFSET_BEGINNING })));
  const out: InboundRecord[] = [];
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  try {
    while (partitions.some((tp) => !done(tpKey(tp)))) {
      if (Date.now() > deadline) throw new Error(`reading ${topics.join(', ')}: end not reached within ${opts.timeoutMs ?? 60_000} ms`);
      const batch = await consumer.consume(1_000, 200);
      for (const r of batch) {
        lastRead.set(tpKey(r), r.offset);
        out.push(r);
        opts.onRecord?.(r);
        if (opts.limit !== undefined && out.length >= opts.limit) return out;
      }
    }
    return out;
  } finally {
    await consumer.disconnect();
  }
}
