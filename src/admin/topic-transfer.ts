// The Kafka side of `weir produce` and `weir consume`: sending encoded records with an idempotent
// producer (acks=all) and counting where they landed; following a topic's partitions from a start
// position without a consumer group, decoding each record to a JSON line (topic-io.ts).
import { KafkaAdmin } from '../kafka/admin.ts';
import type { KafkaConnection } from '../kafka/client-config.ts';
import { followPartitions, OFFSET_BEGINNING, type FollowEnd } from '../kafka/follow.ts';
import { KafkaProducer } from '../kafka/producer.ts';
import type { IsolationLevel, OutboundRecord, TopicPartition, TopicPartitionOffset } from '../kafka/types.ts';
import type { RecordDecoder } from './topic-io.ts';

/** The number of partitions of `topic`; undefined when it does not exist. */
export async function partitionCount(conn: KafkaConnection, topic: string): Promise<number | undefined> {
  const admin = KafkaAdmin.create(conn);
  try {
    return (await admin.partitionCounts([topic])).get(topic);
  } finally {
    admin.disconnect();
  }
}

export interface ProduceResult {
  produced: number;
  topic: string;
  /** Records acknowledged per partition. */
  partitions: Record<string, number>;
}

const PROGRESS_EVERY_MS = 250;

/**
 * Sends the records in order with an idempotent producer (acks=all) and waits for every
 * acknowledgement. `onProgress(acknowledged, total)` is called while that takes. A failed delivery
 * rejects, saying how many records were produced.
 */
export async function produceRecords(
  conn: KafkaConnection,
  topic: string,
  records: readonly OutboundRecord[],
  onProgress?: (done: number, total: number) => void,
): Promise<ProduceResult> {
  if (records.length === 0) return { produced: 0, topic, partitions: {} };
  const producer = await KafkaProducer.connect(conn, { name: 'produce', idempotent: true, extra: { acks: 'all' } });
  const partitions = new Map<number, number>();
  let acknowledged = 0;
  producer.onDelivery((d) => {
    acknowledged++;
    partitions.set(d.partition, (partitions.get(d.partition) ?? 0) + 1);
  });
  const timer = onProgress ? setInterval(() => onProgress(acknowledged, records.length), PROGRESS_EVERY_MS) : undefined;
  try {
    await producer.sendAll(records);
    // flush() has a bound of its own; a large input may need longer: librdkafka reports every
    // record (delivered or failed) within message.timeout.ms.
    while (producer.inFlight > 0) await new Promise((r) => setTimeout(r, 20));
    await producer.flush().catch((err: Error) => {
      throw new Error(`${acknowledged} of ${records.length} records were produced to ${topic}; ${err.message}`);
    });
    onProgress?.(acknowledged, records.length);
    const byPartition: Record<string, number> = {};
    for (const [p, n] of [...partitions].sort((a, b) => a[0] - b[0])) byPartition[String(p)] = n;
    return { produced: acknowledged, topic, partitions: byPartition };
  } finally {
    if (timer) clearInterval(timer);
    await producer.disconnect();
  }
}

/** Where to start: the oldest record, the end (only new records), or an offset (negative: that many before the end). */
export type StartAt = 'beginning' | 'end' | { offset: number };

export interface ConsumeOptions {
  topic: string;
  /** Only this partition; default: all. */
  partition?: number;
  from: StartAt;
  isolation: IsolationLevel;
  decoder: RecordDecoder;
  /** Add topic, partition, offset, timestamp and headers to each line. */
  metadata: boolean;
  /** Stop after this many records. */
  count?: number;
  /** Stop when nothing arrived for this long. */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** JSON lines of one batch, in the order received. */
  onLines(lines: string[]): void;
}

export interface ConsumeResult {
  consumed: number;
  stoppedBy: 'count' | 'timeout' | 'signal';
}

export async function consumeTopic(conn: KafkaConnection, opts: ConsumeOptions): Promise<ConsumeResult> {
  const partitions = await startOffsets(conn, opts.topic, opts.partition, opts.from, opts.isolation);
  let consumed = 0;
  const end: FollowEnd = await followPartitions(conn, {
    partitions,
    isolation: opts.isolation,
    ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    async onBatch(batch) {
      const wanted = opts.count === undefined ? batch : batch.slice(0, opts.count - consumed);
      await opts.decoder.prepare(wanted);
      opts.onLines(wanted.map((r) => JSON.stringify(opts.decoder.toJson(r, opts.metadata))));
      consumed += wanted.length;
      return opts.count !== undefined && consumed >= opts.count;
    },
  });
  return { consumed, stoppedBy: end === 'done' ? 'count' : end === 'idle' ? 'timeout' : 'signal' };
}

/** Start offsets per partition. Offsets are clamped to what the log holds. */
export async function startOffsets(
  conn: KafkaConnection,
  topic: string,
  partition: number | undefined,
  from: StartAt,
  isolation: IsolationLevel,
): Promise<TopicPartitionOffset[]> {
  const admin = KafkaAdmin.create(conn);
  try {
    const count = (await admin.partitionCounts([topic])).get(topic);
    if (count === undefined) throw new Error(`topic ${topic} does not exist`);
    if (partition !== undefined && partition >= count)
      throw new Error(`partition ${partition} does not exist: ${topic} has ${count} (0-${count - 1})`);
    const tps: TopicPartition[] =
      partition !== undefined ? [{ topic, partition }] : Array.from({ length: count }, (_, p) => ({ topic, partition: p }));
    if (from === 'beginning') return tps.map((tp) => ({ ...tp, offset: OFFSET_BEGINNING }));
    // With read_committed the end is the last stable offset: a transaction open now shows once committed.
    const byPartition = async (query: 'earliest' | 'latest', level: IsolationLevel) =>
      new Map((await admin.offsets(tps, query, level)).map((o) => [o.partition, o.offset]));
    const ends = await byPartition('latest', isolation);
    if (from === 'end') return tps.map((tp) => ({ ...tp, offset: ends.get(tp.partition)! }));
    const earliest = await byPartition('earliest', isolation);
    const highs = await byPartition('latest', 'read_uncommitted');
    return tps.map((tp) => {
      const wanted = from.offset >= 0 ? from.offset : ends.get(tp.partition)! + from.offset;
      return { ...tp, offset: Math.min(Math.max(wanted, earliest.get(tp.partition)!), highs.get(tp.partition)!) };
    });
  } finally {
    admin.disconnect();
  }
}
