// What a step does with a batch, as a strategy of the one worker loop: transform and produce
// (transform, filter, map, route steps and the HTTP sink), or write to a transactional sink
// (Postgres). The loop owns the lifecycle; a strategy only prepares and writes.
import type { StepConsumer } from '../kafka/ports.ts';
import type { InboundRecord, TopicPartition, TopicPartitionOffset } from '../kafka/types.ts';
import type { Outcome, TransactionContext } from './transaction.ts';

export interface BatchStrategy<Prepared = unknown> {
  /** Batch N+1 is processed while N commits (the loop keeps one batch in flight). */
  readonly pipelined: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  /** Where newly assigned partitions start: the group's committed offsets, unless the sink keeps its own. */
  startPositions(partitions: TopicPartition[]): Promise<Array<TopicPartition | TopicPartitionOffset>>;
  /**
   * The committed positions of partitions as their store of truth has them now (the group's
   * offsets, fetched stable, or the sink's), a negative offset where none: where to resume after a
   * write whose outcome is unknown.
   */
  storedPositions(partitions: TopicPartition[], consumer: StepConsumer): Promise<TopicPartitionOffset[]>;
  /** Partitions this instance no longer owns. */
  released(partitions: TopicPartition[]): void;
  /**
   * Everything the batch will write, computed without writing anything. `inFlight` is the batch
   * still committing, whose staged state this one builds on. Rejects when the batch cannot be
   * processed now (a registry outage): the loop rewinds it.
   */
  prepare(batch: InboundRecord[], inFlight: Prepared | undefined): Promise<Prepared>;
  /** Writes a prepared batch (undefined: offsets only) with its next offsets. Never rejects. */
  write(prepared: Prepared | undefined, offsets: TopicPartitionOffset[], tx: TransactionContext): Promise<Outcome>;
  /** The write of `prepared` committed. */
  committed(prepared: Prepared | undefined): void;
}

/** A failure the loop should retry (an unreachable database…), as opposed to a bug or a bad setting. */
export class TransientFailure extends Error {
  override name = 'TransientFailure';
  constructor(override readonly cause: unknown) {
    super((cause as Error)?.message ?? String(cause));
  }
}
