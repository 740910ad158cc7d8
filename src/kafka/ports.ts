// What the worker core needs from Kafka, as interfaces. The librdkafka-backed implementation is
// `rdkafkaClients` (clients.ts); the broker-free test driver (src/testing) has an in-memory one.
// Every method that can fail rejects with a KafkaError (errors.ts), whose kind decides what the
// worker does next.
import type { Logger } from '../observability/logger.ts';
import type { RebalanceEvent } from './consumer.ts';
import type { InboundRecord, IsolationLevel, OutboundRecord, TopicPartition, TopicPartitionOffset } from './types.ts';

export type { RebalanceEvent };

export interface GroupConsumerOptions {
  name: string;
  groupId: string;
  isolation: IsolationLevel;
  sessionTimeoutMs: number;
  /** Static membership (KIP-345): a restart with the same id takes over at once. */
  groupInstanceId?: string;
  logger?: Logger;
  extra?: Record<string, string | number | boolean>;
}

/** A group member whose rebalances the owner completes between batches (manual mode). */
export interface StepConsumer {
  subscribe(topics: string[]): void;
  /** Rebalance events not yet completed, oldest first. */
  takeRebalanceEvents(): RebalanceEvent[];
  readonly hasPendingRebalance: boolean;
  /** Adds partitions; an entry with an offset starts there instead of the committed offset. */
  completeAssign(partitions: Array<TopicPartition | TopicPartitionOffset>): void;
  completeRevoke(partitions: TopicPartition[]): void;
  /** Up to `max` records; returns early once some arrived, or empty after `timeoutMs`. */
  consume(max: number, timeoutMs: number): Promise<InboundRecord[]>;
  pause(partitions: TopicPartition[]): void;
  resume(partitions: TopicPartition[]): void;
  seek(tpo: TopicPartitionOffset): Promise<void>;
  /** The group's committed offsets (next to read), fetched stable; -1001 where none. */
  committed(partitions: TopicPartition[], timeoutMs?: number): Promise<TopicPartitionOffset[]>;
  commitAsync(offsets: TopicPartitionOffset[]): void;
  commitSync(offsets: TopicPartitionOffset[]): void;
  /** Local view: next position and the high watermark last seen (-1 when unknown). */
  positions(partitions: TopicPartition[]): Array<TopicPartitionOffset & { high: number }>;
  assignment(): TopicPartition[];
  disconnect(): Promise<void>;
}

export interface TransactionalProducerOptions {
  name: string;
  /** Absent: a plain idempotent producer (at-least-once delivery). */
  transactionalId?: string;
  transactionTimeoutMs?: number;
  logger?: Logger;
  extra?: Record<string, string | number | boolean>;
}

export interface StepProducer {
  /** Enqueues records in order (waits while the local queue is full). */
  sendAll(records: readonly OutboundRecord[]): Promise<void>;
  /** Waits until every enqueued record is acknowledged; rejects if any delivery failed. */
  flush(timeoutMs?: number): Promise<void>;
  initTransactions(timeoutMs: number): Promise<void>;
  beginTransaction(): Promise<void>;
  /** `offsets` are the NEXT offsets to read, sent with `consumer`'s group metadata. */
  sendOffsetsToTransaction(offsets: TopicPartitionOffset[], consumer: StepConsumer, timeoutMs: number): Promise<void>;
  commitTransaction(timeoutMs: number): Promise<void>;
  abortTransaction(timeoutMs: number): Promise<void>;
  disconnect(): Promise<void>;
}

/** Everything a worker creates or asks of the cluster. */
export interface KafkaClients {
  consumer(opts: GroupConsumerOptions): Promise<StepConsumer>;
  producer(opts: TransactionalProducerOptions): Promise<StepProducer>;
  /** Last stable offsets (read_committed end) of partitions. */
  endOffsets(partitions: TopicPartition[]): Promise<TopicPartitionOffset[]>;
  /** Waits until no transaction is open on the partitions (LSO reaches the high watermark seen first). */
  untilStable(partitions: TopicPartition[], timeoutMs: number): Promise<void>;
  /** Reads partitions read_committed from the beginning to their current end. */
  readToEnd(partitions: TopicPartition[], onRecord: (record: InboundRecord) => void): Promise<void>;
  /** Releases shared resources (admin connections). */
  close(): Promise<void>;
}
