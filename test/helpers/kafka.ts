// Kafka helpers for integration tests: per-test topics that are deleted afterwards, and readers.
import { afterAll } from 'vitest';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { KafkaProducer } from '../../src/kafka/producer.ts';
import { readToEnd, type ReadOptions } from '../../src/kafka/reader.ts';
import type { InboundRecord, OutboundRecord } from '../../src/kafka/types.ts';
import { kafkaConnection, uniqueName } from './services.ts';

/** Creates fresh topics for this test file and deletes them after it. */
export function testTopics() {
  const created: string[] = [];
  afterAll(async () => {
    if (created.length === 0) return;
    const admin = KafkaAdmin.create(kafkaConnection());
    try {
      await admin.deleteTopics(created);
    } finally {
      admin.disconnect();
    }
  });
  return async function topic(prefix: string, partitions = 1, config: Record<string, string> = {}): Promise<string> {
    const name = uniqueName(prefix);
    const admin = KafkaAdmin.create(kafkaConnection());
    try {
      await admin.createTopics([{ name, partitions, config }]);
    } finally {
      admin.disconnect();
    }
    created.push(name);
    return name;
  };
}

/** Produces records with a plain idempotent producer and waits for every acknowledgement. */
export async function produceAll(records: OutboundRecord[]): Promise<void> {
  const producer = await KafkaProducer.connect(kafkaConnection(), { name: 'test-producer' });
  try {
    for (const r of records) await producer.send(r);
    await producer.flush();
  } finally {
    await producer.disconnect();
  }
}

export function readAll(topic: string | string[], opts: ReadOptions = {}): Promise<InboundRecord[]> {
  return readToEnd(kafkaConnection(), Array.isArray(topic) ? topic : [topic], opts);
}

export const text = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));

/** Waits until the group's committed offsets reach the end (LSO) of every partition of `topic`. */
export async function waitForGroupCaughtUp(group: string, topic: string, timeoutMs = 90_000): Promise<void> {
  const admin = KafkaAdmin.create(kafkaConnection());
  try {
    const partitions = await admin.partitionsOf([topic]);
    const ends = await admin.offsets(partitions, 'latest');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const committed = await admin.groupOffsets(group, partitions);
      const behind = ends.filter((e) => (committed.find((c) => c.partition === e.partition)?.offset ?? -1) < e.offset);
      if (behind.length === 0) return;
      if (Date.now() > deadline)
        throw new Error(`group ${group} still behind on ${behind.map((b) => b.partition).join(',')} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    admin.disconnect();
  }
}

/** Produces `records` in `chunks` pieces spread over time (a live flow for fault tests). */
export async function produceOverTime(records: OutboundRecord[], chunks: number, intervalMs: number, stop?: () => boolean): Promise<void> {
  const size = Math.ceil(records.length / chunks);
  for (let i = 0; i < records.length; i += size) {
    if (stop?.()) return;
    await produceAll(records.slice(i, i + size));
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
