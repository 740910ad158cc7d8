// Probes of the transactions in flight on the fault suite's broker, from outside the workers: when a
// transaction holds written-but-undecided records (so a broker kill lands inside one), and how many
// records were aborted so far (so a scenario can keep injecting until its fault really bit).
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { readToEnd } from '../../src/kafka/reader.ts';
import type { TopicPartition } from '../../src/kafka/types.ts';
import { waitFor } from '../helpers/wait.ts';
import type { FaultRun } from './harness.ts';

/** Every topic the workers write (outputs, retry tiers, DLQs): where aborted records can be. */
export const writtenTopics = (run: FaultRun): string[] =>
  run.plan.topics.filter((t) => t.role !== 'audit' && t.name !== run.topic('in')).map((t) => t.name);

const key = (topic: string, partition: number) => `${topic}/${partition}`;

/**
 * Resolves once some partitions of `topics` have records past their last stable offset: an open
 * transaction has written data that is neither committed nor aborted yet. Those partitions; none
 * on timeout.
 */
export async function openTransactionPartitions(run: FaultRun, topics: string[], timeoutMs: number): Promise<TopicPartition[]> {
  const admin = KafkaAdmin.create(run.conn);
  try {
    const partitions = await admin.partitionsOf(topics);
    return await waitFor(
      async () => {
        const [ends, stable] = await Promise.all([
          admin.offsets(partitions, 'latest', 'read_uncommitted'),
          admin.offsets(partitions, 'latest', 'read_committed'),
        ]);
        const lso = new Map(stable.map((s) => [key(s.topic, s.partition), s.offset]));
        const open = ends.filter((e) => e.offset > (lso.get(key(e.topic, e.partition)) ?? e.offset));
        return open.length > 0 ? open.map(({ topic, partition }) => ({ topic, partition })) : undefined;
      },
      { timeoutMs, intervalMs: 5, what: 'an open transaction with written records' },
    ).catch(() => []);
  } finally {
    admin.disconnect();
  }
}

export const untilOpenTransaction = async (run: FaultRun, topics: string[], timeoutMs: number): Promise<boolean> =>
  (await openTransactionPartitions(run, topics, timeoutMs)).length > 0;

/**
 * Records aborted so far. Only offsets below each partition's last stable offset count: those are
 * decided, so a record there that read_uncommitted returns and read_committed does not was aborted
 * (records of transactions still open would otherwise count too).
 */
export async function abortedSoFar(run: FaultRun): Promise<number> {
  const topics = writtenTopics(run);
  const admin = KafkaAdmin.create(run.conn);
  let lso: Map<string, number>;
  try {
    const stable = await admin.offsets(await admin.partitionsOf(topics), 'latest', 'read_committed');
    lso = new Map(stable.map((s) => [key(s.topic, s.partition), s.offset]));
  } finally {
    admin.disconnect();
  }
  const decided = (r: { topic: string; partition: number; offset: number }) => r.offset < (lso.get(key(r.topic, r.partition)) ?? 0);
  const [all, visible] = await Promise.all([
    readToEnd(run.conn, topics, { isolation: 'read_uncommitted', timeoutMs: 60_000 }),
    readToEnd(run.conn, topics, { isolation: 'read_committed', timeoutMs: 60_000 }),
  ]);
  return all.filter(decided).length - visible.filter(decided).length;
}
