// Where things live in the fault suite's cluster right now: a partition's leader, the coordinator of
// a transactional id. Asked of the cluster each time: leadership moves with every fault.
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import type { KafkaConnection } from '../../src/kafka/client-config.ts';
import type { TopicPartition } from '../../src/kafka/types.ts';
import { coordinatorPartition } from '../helpers/coordinator-partition.ts';
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

/** The __transaction_state partition of a transactional id. */
export const transactionStatePartition = (transactionalId: string): TopicPartition =>
  coordinatorPartition('__transaction_state', transactionalId, TRANSACTION_STATE_PARTITIONS);

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

/**
 * Waits until `node` is back in the ISR of every partition of `topics`: the cluster is whole again.
 * The next fault starts from there — killing a second node while the first is still catching up
 * can leave a partition with no in-sync replica to elect (seen: a coordinator kill 1 s after the
 * previous node's restart, whose transaction-state partition found no new leader for 90 s).
 */
export async function backInSync(conn: KafkaConnection, node: number, topics: string[], timeoutMs = 120_000): Promise<boolean> {
  return waitFor(
    async () => {
      const admin = KafkaAdmin.create(conn);
      try {
        const all = await admin.replicas(topics);
        return all.length > 0 && all.every((p) => p.isr.includes(node)) ? true : undefined;
      } finally {
        admin.disconnect();
      }
    },
    { timeoutMs, intervalMs: 500, what: `node ${node} back in every ISR` },
  ).catch(() => false);
}
