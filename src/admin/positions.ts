// Where a step's group stands: committed offsets from Kafka, or from Postgres for Postgres sinks
// (there they are the truth), and the end of each partition as the last stable offset.
import type { KafkaConnection } from '../kafka/client-config.ts';
import { KafkaAdmin } from '../kafka/admin.ts';
import type { TopicPartition, TopicPartitionOffset } from '../kafka/types.ts';
import { readOffsets } from '../sinks/postgres/offsets.ts';
import { withPgClient } from '../sinks/postgres/one-shot.ts';
import type { PlannedStep } from '../topology/plan.ts';

export interface Position extends TopicPartition {
  committed: number | null;
  earliest: number;
  /** Last stable offset: the end a read_committed reader can reach (markers and open transactions excluded). */
  end: number;
}

export async function committedOffsets(
  step: PlannedStep,
  partitions: TopicPartition[],
  kafka: KafkaConnection,
  databaseUrl?: string,
): Promise<TopicPartitionOffset[]> {
  if (step.postgres) {
    if (!databaseUrl) throw new Error(`step ${step.name} keeps its offsets in Postgres: DATABASE_URL is needed`);
    const want = new Set(partitions.map((p) => `${p.topic}/${p.partition}`));
    return withPgClient(databaseUrl, 'lag', async (client) => {
      try {
        return (await readOffsets(client, step.group)).filter((o) => want.has(`${o.topic}/${o.partition}`));
      } catch (err) {
        if ((err as { code?: string }).code === '42P01') return []; // no offsets table yet: nothing committed
        throw err;
      }
    });
  }
  const admin = KafkaAdmin.create(kafka);
  try {
    return (await admin.groupOffsets(step.group, partitions)).filter((o) => o.offset >= 0);
  } finally {
    admin.disconnect();
  }
}

export async function positions(
  step: PlannedStep,
  topics: string[],
  kafka: KafkaConnection,
  databaseUrl?: string,
  only?: (tp: TopicPartition) => boolean,
): Promise<Position[]> {
  const admin = KafkaAdmin.create(kafka);
  try {
    const partitions = (await admin.partitionsOf(topics)).filter((tp) => !only || only(tp));
    const [earliest, end, committed] = await Promise.all([
      admin.offsets(partitions, 'earliest'),
      admin.offsets(partitions, 'latest', 'read_committed'),
      committedOffsets(step, partitions, kafka, databaseUrl),
    ]);
    const find = (list: TopicPartitionOffset[], tp: TopicPartition) =>
      list.find((o) => o.topic === tp.topic && o.partition === tp.partition)?.offset;
    return partitions.map((tp) => ({
      ...tp,
      committed: find(committed, tp) ?? null,
      earliest: find(earliest, tp) ?? 0,
      end: find(end, tp) ?? 0,
    }));
  } finally {
    admin.disconnect();
  }
}
