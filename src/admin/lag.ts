// `weir lag`: per step and partition, committed offset, end (the last stable offset — lag measured
// against the high watermark would never reach zero after transactions, whose commit markers take
// offsets), and lag; plus each retry tier's depth and oldest record, and the DLQ's depth.
import type { KafkaConnection } from '../kafka/client-config.ts';
import { readToEnd } from '../kafka/reader.ts';
import type { PlannedStep } from '../topology/plan.ts';
import { dlqStats, readDlq } from './dlq/entries.ts';
import { positions, type Position } from './positions.ts';

export interface PartitionLag extends Position {
  lag: number;
}

export interface StepLag {
  step: string;
  group: string;
  input: PartitionLag[];
  tiers: Array<{ topic: string; depth: number; oldestAgeMs: number | null }>;
  dlq: { topic: string; depth: number; oldestAgeMs: number | null };
}

/** Records after the committed offset; with nothing committed, everything the partition holds. */
const lagOf = (p: Position) => Math.max(0, p.end - (p.committed ?? p.earliest));

export async function stepLag(step: PlannedStep, kafka: KafkaConnection, databaseUrl?: string, now = Date.now()): Promise<StepLag> {
  const tierTopics = step.retry.tiers.map((t) => t.topic);
  const all = await positions(step, [step.input, ...tierTopics], kafka, databaseUrl);
  const input = all.filter((p) => p.topic === step.input).map((p) => ({ ...p, lag: lagOf(p) }));
  const tiers = [];
  for (const topic of tierTopics) {
    const parts = all.filter((p) => p.topic === topic && lagOf(p) > 0);
    let oldest: number | null = null;
    for (const p of parts) {
      const [head] = await readToEnd(kafka, [topic], {
        partitions: [p],
        from: [{ ...p, offset: p.committed ?? p.earliest }],
        limit: 1,
        timeoutMs: 10_000,
      });
      if (head && (oldest === null || head.timestamp < oldest)) oldest = head.timestamp;
    }
    tiers.push({ topic, depth: parts.reduce((n, p) => n + lagOf(p), 0), oldestAgeMs: oldest === null ? null : now - oldest });
  }
  const dlq = dlqStats(step, await readDlq(kafka, step), now);
  return { step: step.name, group: step.group, input, tiers, dlq: { topic: dlq.topic, depth: dlq.depth, oldestAgeMs: dlq.oldestAgeMs } };
}
