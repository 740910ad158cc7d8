// Where things live in the fault suite's cluster right now: a partition's leader, the coordinator of
// a transactional id. Asked of the cluster each time: leadership moves with every fault.
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import type { KafkaConnection } from '../../src/kafka/client-config.ts';
import type { TopicPartition } from '../../src/kafka/types.ts';
import { waitFor } from '../helpers/wait.ts';
import { TRANSACTION_STATE_PARTITIONS } from './brokers.ts';

/** The partition's leader (-1 while it has none). */
export async function leaderOf(conn: KafkaConnection, tp: TopicPartition): Promise<number> {
  const admin = KafkaAdmin.create(conn);
  try {
    const all = await admin.replicas([tp.topic]);
    return all.find((r) => r.partition === tp.partition)?.leader ?? -1;
  } finally {
    admin.disconnect();
  }
}

/** Java's String.hashCode: Kafka places a transactional id on __transaction_state by it. */
function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The __transaction_state partition of a transactional id (Kafka's Utils.abs(hashCode) % partitions). */
export function transactionStatePartition(transactionalId: string): TopicPartition {
  const h = javaHashCode(transactionalId);
  return { topic: '__transaction_state', partition: (h === -2147483648 ? 0 : Math.abs(h)) % TRANSACTION_STATE_PARTITIONS };
}

/** The broker coordinating `transactionalId`: the leader of its __transaction_state partition. */
export const transactionCoordinator = (conn: KafkaConnection, transactionalId: string): Promise<number> =>
  leaderOf(conn, transactionStatePartition(transactionalId));

/** Waits until the partition is led by a live broker other than `from`; false if it never is. */
export async function leadershipMoved(conn: KafkaConnection, tp: TopicPartition, from: number, timeoutMs = 60_000): Promise<boolean> {
  return waitFor(
    async () => {
      const leader = await leaderOf(conn, tp).catch(() => -1);
      return leader !== from && leader !== -1 ? true : undefined;
    },
    { timeoutMs, intervalMs: 250, what: `a new leader of ${tp.topic}/${tp.partition}` },
  ).catch(() => false);
}
