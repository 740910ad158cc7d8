// The broker is fit for exactly-once work: committed transactions are visible to read_committed
// readers, aborted ones only to read_uncommitted readers.
import { describe, expect, it } from 'vitest';
import { KafkaProducer } from '../../src/kafka/producer.ts';
import { readAll, testTopics, text } from '../helpers/kafka.ts';
import { kafkaConnection, uniqueName } from '../helpers/services.ts';

const topic = testTopics();

describe('transactions on the local broker', () => {
  it('read_committed sees the committed batch only; read_uncommitted sees both', async () => {
    const t = await topic('tx', 2);
    const producer = await KafkaProducer.connect(kafkaConnection(), { name: 'tx-test', transactionalId: uniqueName('tx') });
    try {
      await producer.initTransactions(30_000);
      await producer.beginTransaction();
      for (let i = 0; i < 10; i++) await producer.send({ topic: t, key: `k${i}`, value: Buffer.from(`committed-${i}`) });
      await producer.commitTransaction(30_000);
      await producer.beginTransaction();
      for (let i = 0; i < 10; i++) await producer.send({ topic: t, key: `k${i}`, value: Buffer.from(`aborted-${i}`) });
      await producer.flush(); // make sure the aborted records really reached the log
      await producer.abortTransaction(30_000);
    } finally {
      await producer.disconnect();
    }
    const committed = (await readAll(t, { isolation: 'read_committed' })).map((r) => text(r.value)).sort();
    const uncommitted = (await readAll(t, { isolation: 'read_uncommitted' })).map((r) => text(r.value)).sort();
    expect(committed).toEqual(Array.from({ length: 10 }, (_, i) => `committed-${i}`).sort());
    expect(uncommitted.filter((v) => v?.startsWith('aborted-'))).toHaveLength(10);
    expect(uncommitted).toHaveLength(20);
  });
});
