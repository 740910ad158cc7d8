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

/** A batch's next offset of a partition, and the first offset it read there: the sink's stored offset must not be past it. */
export interface SinkOffset extends TopicPartitionOffset {
  from: number;
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
  /** Where claimed partitions stand now, without claiming them again: after a commit whose answer was lost. */
  positions(partitions: TopicPartition[]): Promise<Claim[]>;
  /**
   * Writes records and next offsets in one transaction, left open for the caller to commit. Fails
   * with SinkFenced when another instance claimed a partition, with AlreadyApplied when a stored
   * offset is past the batch's first (an earlier commit of it took effect).
   */
  begin(records: SinkRecord[], offsets: SinkOffset[]): Promise<SinkTransaction>;
  close(): Promise<void>;
}

/** The sink's own claim was taken by another instance: this one must stop writing (a zombie). */
export class SinkFenced extends Error {
  override name = 'SinkFenced';
}

/**
 * The sink's stored offset of a partition is already past the batch: an earlier commit of it took
 * effect although its answer was lost. Nothing of this attempt is written; resume where the sink says.
 */
export class AlreadyApplied extends Error {
  override name = 'AlreadyApplied';
}
