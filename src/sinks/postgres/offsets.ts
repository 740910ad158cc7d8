// Offsets of the Postgres sink live in Postgres, in the same transaction as the rows: they are the
// truth. Each assignment claims its partitions by bumping their generation; a batch commits only if
// its generation is still current, so an instance that lost a partition (a zombie) cannot commit.
import type pg from 'pg';
import type { TopicPartition, TopicPartitionOffset } from '../../kafka/types.ts';
import { AlreadyApplied, type SinkOffset } from '../sink.ts';
import { OFFSETS_TABLE } from './ddl.ts';

export class FencedGeneration extends Error {
  override name = 'FencedGeneration';
}

export interface Claim extends TopicPartition {
  /** Next offset to read; null when Postgres has none (first run): use the group's. */
  next: number | null;
  generation: number;
}

type OffsetRow = { topic: string; partition: number; next_offset: string | null; generation: string };

const claimOf = (r: OffsetRow): Claim => ({
  topic: r.topic,
  partition: r.partition,
  next: r.next_offset === null ? null : Number(r.next_offset),
  generation: Number(r.generation),
});

export async function claimPartitions(client: pg.ClientBase, group: string, partitions: TopicPartition[]): Promise<Claim[]> {
  if (partitions.length === 0) return [];
  const { rows } = await client.query<OffsetRow>(
    `INSERT INTO ${OFFSETS_TABLE} (consumer_group, topic, partition, next_offset, generation)
     SELECT $1, t, p, NULL, 1 FROM unnest($2::text[], $3::int[]) AS u(t, p)
     ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET generation = ${OFFSETS_TABLE}.generation + 1, updated_at = now()
     RETURNING topic, partition, next_offset, generation`,
    [group, partitions.map((p) => p.topic), partitions.map((p) => p.partition)],
  );
  return rows.map(claimOf);
}

/**
 * Inside the batch's transaction: stores each partition's next offset, only if the partition is
 * still ours (FencedGeneration otherwise) and its stored offset is not past the batch's first
 * (AlreadyApplied otherwise: an earlier commit of this batch took effect although its answer was
 * lost, or is taking effect now — the row lock makes this statement wait for it).
 */
export async function storeOffsets(
  client: pg.ClientBase,
  group: string,
  offsets: Array<SinkOffset & { generation: number }>,
): Promise<void> {
  if (offsets.length === 0) return;
  const res = await client.query(
    `UPDATE ${OFFSETS_TABLE} o SET next_offset = u.n, updated_at = now()
     FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(t, p, n, g, f)
     WHERE o.consumer_group = $1 AND o.topic = u.t AND o.partition = u.p AND o.generation = u.g
       AND (o.next_offset IS NULL OR o.next_offset <= u.f)`,
    [
      group,
      offsets.map((o) => o.topic),
      offsets.map((o) => o.partition),
      offsets.map((o) => o.offset),
      offsets.map((o) => o.generation),
      offsets.map((o) => o.from),
    ],
  );
  if (res.rowCount === offsets.length) return;
  const now = await readPositions(client, group, offsets);
  const taken = offsets.filter((o) => now.find((c) => c.topic === o.topic && c.partition === o.partition)?.generation !== o.generation);
  if (taken.length) throw new FencedGeneration(`another instance claimed ${taken.length} of our partitions in ${OFFSETS_TABLE}`);
  const ahead = offsets.map((o) => {
    const stored = now.find((c) => c.topic === o.topic && c.partition === o.partition)?.next;
    return `${o.topic}/${o.partition} at ${stored}, batch from ${o.from}`;
  });
  throw new AlreadyApplied(`${OFFSETS_TABLE} is past this batch (${ahead.join(', ')}): an earlier commit of it took effect`);
}

/** Where partitions stand, without claiming them. */
export async function readPositions(client: pg.ClientBase, group: string, partitions: TopicPartition[]): Promise<Claim[]> {
  const { rows } = await client.query<OffsetRow>(
    `SELECT o.topic, o.partition, o.next_offset, o.generation FROM ${OFFSETS_TABLE} o
     JOIN unnest($2::text[], $3::int[]) AS u(t, p) ON o.topic = u.t AND o.partition = u.p
     WHERE o.consumer_group = $1`,
    [group, partitions.map((p) => p.topic), partitions.map((p) => p.partition)],
  );
  return rows.map(claimOf);
}

export async function readOffsets(client: pg.ClientBase, group: string): Promise<Array<TopicPartitionOffset & { generation: number }>> {
  const { rows } = await client.query<OffsetRow>(
    `SELECT topic, partition, next_offset, generation FROM ${OFFSETS_TABLE} WHERE consumer_group = $1 ORDER BY topic, partition`,
    [group],
  );
  return rows
    .filter((r) => r.next_offset !== null)
    .map((r) => ({ topic: r.topic, partition: r.partition, offset: Number(r.next_offset), generation: Number(r.generation) }));
}
