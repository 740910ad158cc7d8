// The partition logs. Only committed data ever lands here: a transaction's records are appended
// when it commits, so every reader is read_committed by construction and offsets stay contiguous
// (a real log also spends offsets on commit markers and aborted records; nothing here relies on that).
import { KafkaError } from '../../kafka/errors.ts';
import type { InboundRecord, OutboundRecord, TopicPartition, TopicPartitionOffset } from '../../kafka/types.ts';
import type { Clock } from '../../runtime/clock.ts';
import { partitionForKey } from './murmur2.ts';

const UNKNOWN_TOPIC_OR_PART = 3;
const MSG_SIZE_TOO_LARGE = 10;

/** A record whose partition and timestamp are fixed (at send time, as a real producer does). */
export interface RoutedRecord {
  topic: string;
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: InboundRecord['headers'];
  timestamp: number;
}

export const byTopicPartition = (a: TopicPartition, b: TopicPartition): number =>
  a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1;

/** A copy callers may mutate without touching the log. */
export const copyRecord = (r: InboundRecord): InboundRecord => ({ ...r, headers: r.headers.map((h) => ({ ...h })) });

export class Topics {
  private readonly logs = new Map<string, InboundRecord[][]>();
  /** `max.message.bytes` a test set on a topic (none: no limit). */
  readonly maxMessageBytes = new Map<string, number>();
  /** Null-key records go round robin per topic (deterministic, unlike the sticky partitioner). */
  private readonly nextUnkeyed = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** True when created now; false when it already existed with this partition count. */
  create(name: string, partitions: number): boolean {
    if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`topic ${name}: invalid partition count ${partitions}`);
    const existing = this.logs.get(name);
    if (existing) {
      if (existing.length !== partitions) throw new Error(`topic ${name} exists with ${existing.length} partitions, not ${partitions}`);
      return false;
    }
    this.logs.set(
      name,
      Array.from({ length: partitions }, () => []),
    );
    return true;
  }

  has(name: string): boolean {
    return this.logs.has(name);
  }

  names(): string[] {
    return [...this.logs.keys()];
  }

  partitionsOf(name: string): number {
    const log = this.logs.get(name);
    if (!log) throw new Error(`unknown topic ${name}`);
    return log.length;
  }

  /** Chooses the partition and timestamp and copies the payload; rejects unknown topics/partitions. */
  route(record: OutboundRecord, operation: string): RoutedRecord {
    const log = this.logs.get(record.topic);
    if (!log) throw new KafkaError('fatal', operation, UNKNOWN_TOPIC_OR_PART, `Unknown topic or partition: ${record.topic}`);
    const key = record.key === null ? null : Buffer.from(record.key);
    let partition = record.partition ?? -1;
    // -1 is librdkafka's "unassigned partition": the partitioner decides, as when absent.
    if (partition < 0) partition = key === null ? this.unkeyed(record.topic, log.length) : partitionForKey(key, log.length);
    if (partition >= log.length)
      throw new KafkaError('fatal', operation, UNKNOWN_TOPIC_OR_PART, `Unknown topic or partition: ${record.topic} [${partition}]`);
    return {
      topic: record.topic,
      partition,
      key,
      value: record.value === null ? null : Buffer.from(record.value),
      headers: (record.headers ?? []).map((h) => ({ key: h.key, value: Buffer.from(h.value) })),
      timestamp: record.timestamp ?? this.clock.now(),
    };
  }

  private unkeyed(topic: string, partitions: number): number {
    const n = this.nextUnkeyed.get(topic) ?? 0;
    this.nextUnkeyed.set(topic, n + 1);
    return n % partitions;
  }

  /** Records appended so far, over all topics: the test driver sees from it whether anything moved. */
  written = 0;

  /** The broker's refusal of a record larger than its topic accepts (key + value + headers, as the test counts it). */
  refusal(r: RoutedRecord): KafkaError | undefined {
    const limit = this.maxMessageBytes.get(r.topic);
    if (limit === undefined) return undefined;
    let size = (r.key?.length ?? 0) + (r.value?.length ?? 0);
    for (const h of r.headers) size += h.key.length + h.value.length;
    return size > limit
      ? new KafkaError('abortable', 'transaction.commit', MSG_SIZE_TOO_LARGE, `${r.topic}: Broker: Message size too large`)
      : undefined;
  }

  append(r: RoutedRecord): TopicPartitionOffset {
    const log = this.logs.get(r.topic)?.[r.partition];
    if (!log) throw new Error(`unknown partition ${r.topic} [${r.partition}]`);
    this.written++;
    const offset = log.length;
    log.push({ ...r, offset, size: (r.key?.length ?? 0) + (r.value?.length ?? 0) });
    return { topic: r.topic, partition: r.partition, offset };
  }

  /** The partition's committed records, or undefined for an unknown topic or partition. */
  log(tp: TopicPartition): readonly InboundRecord[] | undefined {
    return this.logs.get(tp.topic)?.[tp.partition];
  }

  /** Next offset to be written (= last stable offset: nothing uncommitted is ever stored). */
  end(tp: TopicPartition): number {
    return this.log(tp)?.length ?? 0;
  }

  at(tp: TopicPartition, offset: number): InboundRecord | undefined {
    return this.log(tp)?.[offset];
  }
}
