// Rebuilding the ordered-retry state on assignment, against the real broker: a transaction of the
// partition's previous owner that is still open must be waited for, not read around.
import { describe, expect, it } from 'vitest';
import { KafkaProducer } from '../../src/kafka/producer.ts';
import { rdkafkaClients } from '../../src/kafka/clients.ts';
import { loadKeyChains } from '../../src/retry/chain-state.ts';
import { encodeMembers, KeyChains } from '../../src/retry/ordered.ts';
import { testTopics } from '../helpers/kafka.ts';
import { kafkaConnection, uniqueName } from '../helpers/services.ts';

const topic = testTopics();
const KEY = 'k61';
const keyId = Buffer.from(KEY).toString('base64');

async function transactional(name: string): Promise<KafkaProducer> {
  const p = await KafkaProducer.connect(kafkaConnection(), { name, transactionalId: uniqueName(name) });
  await p.initTransactions(30_000);
  return p;
}

describe('ordered-retry state', () => {
  it("waits for the previous owner's open transaction, then sees what it committed", async () => {
    const keys = await topic('keys');
    const earlier = await transactional('earlier-owner');
    const previous = await transactional('previous-owner');
    try {
      // Committed long ago: the key is in the chain, its head waiting in tier 0.
      await earlier.beginTransaction();
      await earlier.send({ topic: keys, partition: 0, key: KEY, value: encodeMembers([{ offset: 5, tier: 0 }]) });
      await earlier.commitTransaction(30_000);
      // The previous owner processed the head and wrote the tombstone, but has not committed yet.
      await previous.beginTransaction();
      await previous.send({ topic: keys, partition: 0, key: KEY, value: null });
      await previous.flush();

      const chains = new KeyChains();
      let loaded = false;
      const loading = loadKeyChains(rdkafkaClients(kafkaConnection()), keys, [0], chains, 30_000).then(() => (loaded = true));
      await new Promise((r) => setTimeout(r, 1_500));
      expect(loaded).toBe(false); // still waiting for the open transaction
      await previous.commitTransaction(30_000);
      await loading;
      expect(chains.base.get(0)?.has(keyId) ?? false).toBe(false); // the tombstone counted: the key left the chain
    } finally {
      await Promise.all([earlier.disconnect(), previous.disconnect()]);
    }
  });

  it('an aborted update of the previous owner leaves the committed state', async () => {
    const keys = await topic('keys');
    const owner = await transactional('owner');
    try {
      await owner.beginTransaction();
      await owner.send({
        topic: keys,
        partition: 0,
        key: KEY,
        value: encodeMembers([
          { offset: 7, tier: 1 },
          { offset: 9, tier: 1 },
        ]),
      });
      await owner.commitTransaction(30_000);
      await owner.beginTransaction();
      await owner.send({ topic: keys, partition: 0, key: KEY, value: null });
      await owner.flush();
      const chains = new KeyChains();
      const loading = loadKeyChains(rdkafkaClients(kafkaConnection()), keys, [0], chains, 30_000);
      await new Promise((r) => setTimeout(r, 500));
      await owner.abortTransaction(30_000);
      await loading;
      expect(chains.base.get(0)?.get(keyId)).toEqual([
        { offset: 7, tier: 1 },
        { offset: 9, tier: 1 },
      ]);
    } finally {
      await owner.disconnect();
    }
  });

  it('gives up with a clear error when a transaction stays open past the timeout', async () => {
    const keys = await topic('keys');
    const owner = await transactional('stuck-owner');
    try {
      await owner.beginTransaction();
      await owner.send({ topic: keys, partition: 0, key: KEY, value: encodeMembers([{ offset: 1, tier: 0 }]) });
      await owner.flush();
      await expect(loadKeyChains(rdkafkaClients(kafkaConnection()), keys, [0], new KeyChains(), 1_000)).rejects.toThrow(
        `${keys}/0: a transaction is still open after 1 s`,
      );
      await owner.abortTransaction(30_000);
    } finally {
      await owner.disconnect();
    }
  });
});
