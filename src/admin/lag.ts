// `weir lag`: per step and partition, committed offset, end (the last stable offset — lag measured
// against the high watermark would never reach zero after transactions, whose commit markers take
// offsets), lag and the member holding it (as `kafka-consumer-groups --describe`); plus each retry
// tier's records waiting (read, so that commit markers are not counted) and oldest record, and the
// DLQ's depth.
import { KafkaAdmin, type GroupMember } from '../kafka/admin.ts';
import type { KafkaConnection } from '../kafka/client-config.ts';
import { readToEnd } from '../kafka/reader.ts';
import type { PlannedStep } from '../topology/plan.ts';
import { dlqStats, readDlq } from './dlq/entries.ts';
import { positions, type Position } from './positions.ts';

export interface PartitionLag extends Position {
  lag: number;
  /** The group member holding the partition, when one does. */
  consumerId: string | null;
  host: string | null;
  clientId: string | null;
}

export interface StepLag {
  step: string;
  group: string;
  input: PartitionLag[];
  tiers: Array<{ topic: string; depth: number; oldestAgeMs: number | null }>;
  dlq: { topic: string; depth: number; oldestAgeMs: number | null };
}

async function membersOf(group: string, kafka: KafkaConnection): Promise<GroupMember[]> {
  const admin = KafkaAdmin.create(kafka);
  try {
    return (await admin.describeGroup(group)).members;
  } finally {
    admin.disconnect();
  }
}

/** Records after the committed offset; with nothing committed, everything the partition holds. */
const lagOf = (p: Position) => Math.max(0, p.end - (p.committed ?? p.earliest));

export async function stepLag(step: PlannedStep, kafka: KafkaConnection, databaseUrl?: string, now = Date.now()): Promise<StepLag> {
  const tierTopics = step.retry.tiers.map((t) => t.topic);
  const all = await positions(step, [step.input, ...tierTopics], kafka, databaseUrl);
  const owners = await membersOf(step.group, kafka);
  const input = all
    .filter((p) => p.topic === step.input)
    .map((p) => {
      const m = owners.find((o) => o.partitions.some((tp) => tp.topic === p.topic && tp.partition === p.partition));
      return { ...p, lag: lagOf(p), consumerId: m?.memberId ?? null, host: m?.host ?? null, clientId: m?.clientId ?? null };
    });
  const tiers = [];
  for (const topic of tierTopics) {
    let depth = 0;
    let oldest: number | null = null;
    for (const p of all.filter((x) => x.topic === topic && lagOf(x) > 0)) {
      // Offsets after the committed one include commit markers and aborted records: count what a
      // read_committed reader gets (at most the offsets' difference, bounded in time).
      const waiting = await readToEnd(kafka, [topic], {
        partitions: [p],
        from: [{ ...p, offset: p.committed ?? p.earliest }],
        limit: lagOf(p),
        timeoutMs: 10_000,
      });
      depth += waiting.length;
      for (const r of waiting) if (oldest === null || r.timestamp < oldest) oldest = r.timestamp;
    }
    tiers.push({ topic, depth, oldestAgeMs: oldest === null ? null : now - oldest });
  }
  const dlq = dlqStats(step, await readDlq(kafka, step), now);
  return { step: step.name, group: step.group, input, tiers, dlq: { topic: dlq.topic, depth: dlq.depth, oldestAgeMs: dlq.oldestAgeMs } };
}
