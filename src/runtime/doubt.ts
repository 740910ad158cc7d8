// A write whose outcome is unknown (a commit whose answer was lost): the stored positions — the
// group's, fetched stable once the old epoch is fenced, or the sink's — say whether it took effect.
// Either way every failed partition resumes at its stored position, never before it: redoing a
// batch that took effect would apply it twice.
import type { StepConsumer } from '../kafka/ports.ts';
import type { Logger } from '../observability/logger.ts';
import type { TopicPartition, TopicPartitionOffset } from '../kafka/types.ts';
import { kindOf } from './lifecycle.ts';
import { TransientFailure, type BatchStrategy } from './strategy.ts';

export interface Doubt {
  /** The doubted write's next offsets. */
  offsets: TopicPartitionOffset[];
  prepared: unknown;
}

export interface Settled {
  /** Its stored positions equal its next offsets: it counts as committed. */
  tookEffect: boolean;
  stored: TopicPartitionOffset[];
  /** Where each failed partition resumes. */
  resumeAt: TopicPartitionOffset[];
}

const same = (a: TopicPartition) => (b: TopicPartition) => a.partition === b.partition && a.topic === b.topic;

export async function settleDoubt(
  doubt: Doubt,
  failed: TopicPartitionOffset[],
  strategy: BatchStrategy,
  consumer: StepConsumer,
): Promise<Settled> {
  const partitions = [...failed];
  for (const o of doubt.offsets) if (!partitions.some(same(o))) partitions.push(o);
  // Whatever keeps the stored positions from us (a coordinator still loading, a database still
  // down), rejoining is safe: fresh clients start from the stored positions themselves.
  const all = await strategy.storedPositions(partitions, consumer).catch((err: unknown) => {
    throw kindOf(err) === 'fenced' ? err : new TransientFailure(err);
  });
  const stored = all.filter((s) => s.offset >= 0);
  const tookEffect = doubt.offsets.length > 0 && doubt.offsets.every((o) => stored.find(same(o))?.offset === o.offset);
  return { tookEffect, stored, resumeAt: failed.map((f) => stored.find(same(f)) ?? f) };
}

/** Settles the doubt, says how in the log, and tells the strategy when the write took effect. */
export async function resolveDoubt(
  doubt: Doubt,
  failed: TopicPartitionOffset[],
  strategy: BatchStrategy,
  consumer: StepConsumer,
  log: Logger,
): Promise<Settled> {
  const settled = await settleDoubt(doubt, failed, strategy, consumer);
  log.warn(
    { stored: settled.stored, batch: doubt.offsets, tookEffect: settled.tookEffect },
    settled.tookEffect
      ? 'the write whose answer was lost took effect; resuming after it'
      : 'the write whose answer was lost did not take effect',
  );
  if (settled.tookEffect) strategy.committed(doubt.prepared);
  return settled;
}
