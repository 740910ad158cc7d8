// Which offsets a batch commits. Offsets are the NEXT offset to read: last processed + 1 (an
// off-by-one here duplicates one record per batch) — or, past the commit markers that follow it,
// the consumer's position, so that a caught-up group shows lag 0 against the last stable offset.
import type { StepConsumer } from '../kafka/ports.ts';
import type { InboundRecord, TopicPartitionOffset } from '../kafka/types.ts';

/**
 * The next offset to read of each partition in the batch. `positions` are given only for partitions
 * read to their end. `lastProcessed` is the fault suite's deliberately broken build.
 */
export function nextOffsets(batch: InboundRecord[], positions: TopicPartitionOffset[] = [], lastProcessed = false): TopicPartitionOffset[] {
  const delta = lastProcessed ? 0 : 1;
  const next: TopicPartitionOffset[] = [];
  // Batches hold few partitions, mostly in runs: a linear scan beats building a string key per record.
  let last: TopicPartitionOffset | undefined;
  for (const r of batch) {
    let seen = last !== undefined && last.partition === r.partition && last.topic === r.topic ? last : undefined;
    if (seen === undefined) {
      for (const n of next) if (n.partition === r.partition && n.topic === r.topic) seen = n;
      if (seen === undefined) next.push((seen = { topic: r.topic, partition: r.partition, offset: r.offset + delta }));
    }
    if (r.offset + delta > seen.offset) seen.offset = r.offset + delta;
    last = seen;
  }
  if (!lastProcessed) {
    for (const n of next) {
      const p = positions.find((x) => x.topic === n.topic && x.partition === n.partition);
      if (p && p.offset > n.offset) n.offset = p.offset;
    }
  }
  return next;
}

/**
 * Positions of the batch's input partitions when the consumer has nothing more of them in hand (so
 * the position only skipped commit markers or aborted records). Tier partitions are left out: a
 * held tier partition is being rewound.
 */
export function inputPositions(consumer: StepConsumer, input: string, batch: InboundRecord[]): TopicPartitionOffset[] {
  const parts: Array<{ topic: string; partition: number }> = [];
  for (const r of batch)
    if (r.topic === input && !parts.some((p) => p.partition === r.partition)) parts.push({ topic: r.topic, partition: r.partition });
  if (parts.length === 0) return [];
  return consumer.positions(parts).filter((p) => p.offset >= 0 && (p.high < 0 || p.offset <= p.high));
}

/**
 * When idle: input positions that moved past the last commit without new records — the commit
 * marker that ended the last transaction comes after its records — so a caught-up group shows lag 0.
 * (Kafka Streams does the same, KAFKA-6607.)
 */
export function idlePositions(consumer: StepConsumer, input: string, committed: Map<string, number>): TopicPartitionOffset[] {
  const held = consumer.assignment().filter((tp) => tp.topic === input && committed.has(`${tp.partition}`));
  return consumer
    .positions(held)
    .filter((p) => p.offset > (committed.get(`${p.partition}`) ?? Infinity) && (p.high < 0 || p.offset <= p.high))
    .map(({ topic, partition, offset }) => ({ topic, partition, offset }));
}

/** The first record's offset of each partition in the batch: where a failed batch is rewound to. */
export function firstOffsets(batch: InboundRecord[]): TopicPartitionOffset[] {
  const first: TopicPartitionOffset[] = [];
  let last: InboundRecord | undefined;
  for (const r of batch) {
    if (last !== undefined && last.partition === r.partition && last.topic === r.topic) continue;
    last = r;
    if (!first.some((f) => f.partition === r.partition && f.topic === r.topic))
      first.push({ topic: r.topic, partition: r.partition, offset: r.offset });
  }
  return first;
}

/** The first of each partition's positions (the earliest failed batch's start), in order. */
export function firstPerPartition(positions: TopicPartitionOffset[]): TopicPartitionOffset[] {
  const first: TopicPartitionOffset[] = [];
  for (const p of positions) if (!first.some((x) => x.partition === p.partition && x.topic === p.topic)) first.push(p);
  return first;
}
