// Never an endless abort loop: when Kafka refuses a record the step could not foresee (a topic's
// limit lowered after the start, a record it deems invalid), the transaction aborts and every redo
// of the batch aborts the same way. After `threshold` identical aborts of a batch from the same
// offsets, the step takes its records one per transaction until it is past that batch: the record
// that still fails alone is the one Kafka refuses, and its redo sends it to the DLQ with the reason
// (RecordTooLarge or RecordRefused) while the records around it go on.
//
// Should its DLQ record be refused too, the next redo keeps only the value's first bytes (as a
// bounded DLQ record); should even that fail, the partition stays stalled and says so (stalls.ts).
import { isRecordRefusal, isTooLarge, KafkaError } from '../kafka/errors.ts';
import type { InboundRecord, TopicPartitionOffset } from '../kafka/types.ts';
import type { Logger } from '../observability/logger.ts';
import { RecordTooLarge } from './size-limits.ts';
import type { BatchBounds } from './collect.ts';

/** Kafka refused an output of this record on its own: it goes to the DLQ. */
export class RecordRefused extends Error {
  override name = 'RecordRefused';
}

/** Why a record goes to the DLQ, and whether its DLQ copy must be cut down (its full copy was refused too). */
export interface Refusal {
  error: Error;
  cut: boolean;
}

const ONE_RECORD: BatchBounds = { records: 1, bytes: Number.MAX_SAFE_INTEGER, timeMs: 0 };

const at = (topic: string, partition: number, offset: number) => `${topic}/${partition}@${offset}`;

export class Isolation {
  private signature = '';
  private aborts = 0;
  /** While isolating: partition → the next offset of the batch that kept aborting. */
  private until: Map<string, TopicPartitionOffset> | undefined;
  private readonly refused = new Map<string, Refusal>();

  constructor(
    /** Identical aborts of a batch before its records go one per transaction. */
    private readonly threshold: number,
    private readonly log: Logger,
  ) {}

  /** The batch bounds to collect with: one record per transaction while isolating. */
  bounds(normal: BatchBounds): BatchBounds {
    return this.until ? ONE_RECORD : normal;
  }

  /** Some record is known to be refused (one check per batch before any per-record look-up). */
  get refusing(): boolean {
    return this.refused.size > 0;
  }

  /** The refusal of an input record, when an earlier transaction of it alone was refused. */
  refusal(r: InboundRecord): Refusal | undefined {
    return this.refused.get(at(r.topic, r.partition, r.offset));
  }

  /** A batch's write failed. `firsts`: its partitions' first offsets; `nexts`: their next offsets. */
  failed(firsts: TopicPartitionOffset[], nexts: TopicPartitionOffset[], records: number, error: unknown): void {
    if (!(error instanceof KafkaError) || !isRecordRefusal(error.code)) {
      this.aborts = 0;
      return;
    }
    if (this.until && records === 1 && firsts.length === 1) return this.refuse(firsts[0]!, error);
    const signature = `${error.code} ${firsts.map((f) => at(f.topic, f.partition, f.offset)).join(' ')}`;
    this.aborts = signature === this.signature ? this.aborts + 1 : 1;
    this.signature = signature;
    if (this.aborts < this.threshold || this.until) return;
    this.until = new Map(nexts.map((n) => [`${n.topic}/${n.partition}`, n]));
    this.log.warn(
      { aborts: this.aborts, batch: firsts, reason: error.message },
      'the same batch aborted again and again: taking its records one per transaction to find the one Kafka refuses',
    );
  }

  /** A write committed with these next offsets. */
  committed(offsets: TopicPartitionOffset[]): void {
    this.aborts = 0;
    if (!this.until && this.refused.size === 0) return;
    for (const o of offsets) {
      const key = `${o.topic}/${o.partition}`;
      if ((this.until?.get(key)?.offset ?? Infinity) <= o.offset) this.until!.delete(key);
      // A refused record the partition committed past went to the DLQ: forget it.
      for (const k of this.refused.keys())
        if (k.startsWith(`${key}@`) && Number(k.slice(key.length + 1)) < o.offset) this.refused.delete(k);
    }
    if (this.until?.size === 0) {
      this.until = undefined;
      this.log.info('past the batch that kept aborting: back to full batches');
    }
  }

  /** After a rebalance: partitions no longer held are no longer isolated (their new owner starts afresh). */
  keep(assigned: readonly { topic: string; partition: number }[]): void {
    if (!this.until) return;
    const held = new Set(assigned.map((a) => `${a.topic}/${a.partition}`));
    for (const key of this.until.keys()) if (!held.has(key)) this.until.delete(key);
    if (this.until.size === 0) this.until = undefined;
  }

  /** A new membership: nothing carries over. */
  reset(): void {
    this.until = undefined;
    this.aborts = 0;
    this.signature = '';
    this.refused.clear();
  }

  private refuse(first: TopicPartitionOffset, error: KafkaError): void {
    const key = at(first.topic, first.partition, first.offset);
    const known = this.refused.get(key);
    if (known) {
      if (known.cut) return; // even the bounded DLQ record is refused: the stall shows it
      known.cut = true;
      this.log.error({ record: key, reason: error.message }, 'its DLQ record was refused too: sending a bounded copy (the first bytes)');
      return;
    }
    const reason = `Kafka refused an output of this record on its own (after ${this.threshold} aborts of its batch): ${error.message}`;
    this.refused.set(key, { error: isTooLarge(error.code) ? new RecordTooLarge(reason) : new RecordRefused(reason), cut: false });
    this.log.error({ record: key, reason: error.message }, 'Kafka refuses this record: sending it to the DLQ');
  }
}
