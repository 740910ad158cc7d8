// The contract between the runtime and a transactional sink (one that stores its own offsets, like
// Postgres): claim partitions and say where they start, write a batch together with its next
// offsets in one transaction, report rows the target rejected so they can go to the DLQ.
import type { TopicPartition, TopicPartitionOffset } from '../kafka/types.ts';

export interface SinkRecord {
  key: unknown;
  value: unknown;
  rawKey: Buffer | null;
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  /** The record's event id (its `weir.event.id` header, or derived from its coordinates). */
  eventId: string;
}

export interface Claim extends TopicPartition {
  /** Next offset to read, or null when the sink has none yet (start at the group's offset). */
  next: number | null;
}

export interface SinkTransaction {
  /** Indexes of records the target rejected (constraint violations…), with the reason. */
  rejected: Map<number, Error>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface TransactionalSink {
  readonly name: string;
  open(): Promise<void>;
  /** Takes ownership of partitions (fencing any previous owner) and says where each starts. */
  claim(partitions: TopicPartition[]): Promise<Claim[]>;
  release(partitions: TopicPartition[]): void;
  /** Writes records and next offsets in one transaction, left open for the caller to commit. */
  begin(records: SinkRecord[], offsets: TopicPartitionOffset[]): Promise<SinkTransaction>;
  close(): Promise<void>;
}

/** The sink's own claim was taken by another instance: this one must stop writing (a zombie). */
export class SinkFenced extends Error {
  override name = 'SinkFenced';
}
