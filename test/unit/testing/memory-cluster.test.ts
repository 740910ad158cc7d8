// The in-memory cluster's topics and transactions: the properties the broker-free worker tests
// rely on (murmur2 placement as on a real broker, records and offsets visible together or not at
// all, fencing, injected failures leaving the transaction for the caller to abort).
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../../src/kafka/errors.ts';
import type { StepConsumer, StepProducer } from '../../../src/kafka/ports.ts';
import type { Clock } from '../../../src/runtime/clock.ts';
import { MemoryCluster } from '../../../src/testing/memory/cluster.ts';
import { murmur2, partitionForKey } from '../../../src/testing/memory/murmur2.ts';

const clock: Clock = { now: () => 1_000, setTimer: () => ({ cancel() {} }), sleep: async () => {} };
const values = (cluster: MemoryCluster, topic: string) => cluster.records(topic).map((r) => r.value?.toString());

async function setup() {
  const cluster = new MemoryCluster(clock);
  cluster.createTopic('in', 1);
  cluster.createTopic('out', 2);
  const clients = cluster.clients();
  const consumer = await clients.consumer({ name: 'c', groupId: 'g', isolation: 'read_committed', sessionTimeoutMs: 10_000 });
  consumer.subscribe(['in']);
  const producer = await clients.producer({ name: 'p', transactionalId: 'tx-1' });
  await producer.initTransactions(1_000);
  return { cluster, clients, consumer, producer };
}

async function transaction(producer: StepProducer, consumer: StepConsumer, value: string, offset: number) {
  await producer.beginTransaction();
  await producer.sendAll([{ topic: 'out', key: 'k', value: Buffer.from(value) }]);
  await producer.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset }], consumer, 1_000);
}

describe('murmur2 partitioner', () => {
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('murmur2(%s) = %i as in the Java client', (key, hash) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(hash);
  });

  it('places keyed records by toPositive(murmur2) % partitions, null keys round robin', () => {
    const cluster = new MemoryCluster(clock);
    cluster.createTopic('t', 4);
    // toPositive(-790332482) = 1357151166, % 4 = 2.
    expect(partitionForKey(Buffer.from('foobar'), 4)).toBe(2);
    expect(cluster.append('t', { key: 'foobar', value: null })).toEqual({ topic: 't', partition: 2, offset: 0 });
    expect(cluster.append('t', { key: Buffer.from('foobar'), value: null }).partition).toBe(2);
    expect([0, 1, 2, 3, 4].map(() => cluster.append('t', { key: null, value: null }).partition)).toEqual([0, 1, 2, 3, 0]);
    expect(cluster.append('t', { key: 'foobar', value: null, partition: 3 }).partition).toBe(3);
  });
});

describe('MemoryCluster topics', () => {
  it('createTopic is idempotent but refuses another partition count', () => {
    const cluster = new MemoryCluster(clock);
    cluster.createTopic('t', 3);
    cluster.createTopic('t', 3);
    expect(cluster.hasTopic('t')).toBe(true);
    expect(cluster.partitionsOf('t')).toBe(3);
    expect(() => cluster.createTopic('t', 2)).toThrow(/3 partitions/);
  });

  it('append stamps the clock time, copies headers and counts key + value bytes', () => {
    const cluster = new MemoryCluster(clock);
    cluster.createTopic('t', 1);
    const header = { key: 'h', value: Buffer.from('v') };
    cluster.append('t', { key: 'ab', value: Buffer.from('cde'), headers: [header] });
    cluster.append('t', { key: null, value: null, timestamp: 5 });
    header.value.write('x');
    const [first, second] = cluster.records('t');
    expect(first).toMatchObject({ offset: 0, timestamp: 1_000, size: 5, headers: [{ key: 'h', value: Buffer.from('v') }] });
    expect(second).toMatchObject({ offset: 1, timestamp: 5, size: 0, key: null, value: null });
  });

  it('endOffsets, readToEnd, untilStable', async () => {
    const cluster = new MemoryCluster(clock);
    cluster.createTopic('t', 2);
    cluster.append('t', { key: null, value: Buffer.from('a'), partition: 1 });
    const clients = cluster.clients();
    expect(
      await clients.endOffsets([
        { topic: 't', partition: 0 },
        { topic: 't', partition: 1 },
      ]),
    ).toEqual([
      { topic: 't', partition: 0, offset: 0 },
      { topic: 't', partition: 1, offset: 1 },
    ]);
    const seen: string[] = [];
    await clients.readToEnd([{ topic: 't', partition: 1 }], (r) => seen.push(`${r.partition}:${r.offset}:${r.value}`));
    expect(seen).toEqual(['1:0:a']);
    await expect(clients.untilStable([{ topic: 't', partition: 0 }], 1_000)).resolves.toBeUndefined();
    await expect(clients.endOffsets([{ topic: 'nope', partition: 0 }])).rejects.toMatchObject({ kind: 'fatal', code: 3 });
  });
});

describe('MemoryCluster transactions', () => {
  it('a commit makes the records and the offsets visible together', async () => {
    const { cluster, consumer, producer } = await setup();
    await transaction(producer, consumer, 'one', 7);
    expect(cluster.records('out')).toEqual([]);
    expect(cluster.committedOffset('g', { topic: 'in', partition: 0 })).toBeUndefined();
    await producer.commitTransaction(1_000);
    expect(values(cluster, 'out')).toEqual(['one']);
    expect(cluster.committedOffset('g', { topic: 'in', partition: 0 })).toBe(7);
    expect(await consumer.committed([{ topic: 'in', partition: 0 }])).toEqual([{ topic: 'in', partition: 0, offset: 7 }]);
    expect(cluster.stats).toMatchObject({ committedTransactions: 1, abortedTransactions: 0 });
  });

  it('an abort makes neither visible', async () => {
    const { cluster, consumer, producer } = await setup();
    await transaction(producer, consumer, 'one', 7);
    await producer.abortTransaction(1_000);
    expect(cluster.records('out')).toEqual([]);
    expect(await consumer.committed([{ topic: 'in', partition: 0 }])).toEqual([{ topic: 'in', partition: 0, offset: -1001 }]);
    expect(cluster.stats.abortedTransactions).toBe(1);
    expect(cluster.stats.abortedRecords.map((r) => r.value?.toString())).toEqual(['one']);
  });

  it('a second initTransactions fences the first producer and aborts its open transaction', async () => {
    const { cluster, clients, consumer, producer } = await setup();
    await transaction(producer, consumer, 'zombie', 3);
    const successor = await clients.producer({ name: 'p2', transactionalId: 'tx-1' });
    await successor.initTransactions(1_000);
    await expect(producer.commitTransaction(1_000)).rejects.toMatchObject({ kind: 'fenced', operation: 'transaction.commit' });
    await expect(producer.beginTransaction()).rejects.toMatchObject({ kind: 'fenced' });
    expect(cluster.records('out')).toEqual([]);
    expect(cluster.stats.abortedTransactions).toBe(1);
    await transaction(successor, consumer, 'live', 4);
    await successor.commitTransaction(1_000);
    expect(values(cluster, 'out')).toEqual(['live']);
  });

  it('an injected commit failure leaves the transaction open until the caller aborts it', async () => {
    const { cluster, consumer, producer } = await setup();
    cluster.failNext('transaction.commit', 'indefinite', 'timed out');
    cluster.failNext('transaction.commit', 'retriable');
    await transaction(producer, consumer, 'one', 1);
    const err = await producer.commitTransaction(1_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect(err).toMatchObject({ kind: 'indefinite', operation: 'transaction.commit', message: 'transaction.commit: timed out' });
    await expect(producer.beginTransaction()).rejects.toMatchObject({ kind: 'fatal', message: /invalid transaction state/ });
    await expect(producer.commitTransaction(1_000)).rejects.toMatchObject({ kind: 'retriable' });
    expect(cluster.pendingFaults()).toEqual({});
    await producer.abortTransaction(1_000);
    expect(cluster.records('out')).toEqual([]);
    expect(cluster.committedOffset('g', { topic: 'in', partition: 0 })).toBeUndefined();
    await transaction(producer, consumer, 'two', 1);
    await producer.commitTransaction(1_000);
    expect(values(cluster, 'out')).toEqual(['two']);
  });

  it('an abortable failure dooms the transaction: commit then fails too', async () => {
    const { consumer, producer, cluster } = await setup();
    cluster.failNext('produce', 'abortable');
    await producer.beginTransaction();
    await expect(producer.sendAll([{ topic: 'out', key: 'k', value: null }])).rejects.toMatchObject({
      kind: 'abortable',
      operation: 'produce',
    });
    await producer.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 1 }], consumer, 1_000);
    await expect(producer.commitTransaction(1_000)).rejects.toMatchObject({ kind: 'abortable' });
    await producer.abortTransaction(1_000);
  });

  it('rejects misuse of the transaction state and unknown topics', async () => {
    const { producer, clients } = await setup();
    await expect(producer.commitTransaction(1_000)).rejects.toMatchObject({ kind: 'fatal', message: /invalid transaction state/ });
    await expect(producer.sendAll([{ topic: 'out', key: null, value: null }])).rejects.toMatchObject({
      kind: 'fatal',
      operation: 'produce',
    });
    await producer.beginTransaction();
    await expect(producer.beginTransaction()).rejects.toMatchObject({ kind: 'fatal', message: /invalid transaction state/ });
    await expect(producer.sendAll([{ topic: 'nope', key: null, value: null }])).rejects.toMatchObject({
      kind: 'fatal',
      operation: 'produce',
      code: 3,
      message: 'produce: Unknown topic or partition: nope (code 3)',
    });
    const plain = await clients.producer({ name: 'plain' });
    await expect(plain.beginTransaction()).rejects.toMatchObject({ kind: 'fatal' });
  });

  it('a plain producer appends at once', async () => {
    const { cluster, clients } = await setup();
    const plain = await clients.producer({ name: 'plain' });
    await plain.sendAll([{ topic: 'out', key: null, value: Buffer.from('x'), partition: 1 }]);
    expect(cluster.records('out', 1).map((r) => r.value?.toString())).toEqual(['x']);
    cluster.failNext('flush', 'retriable');
    await expect(plain.flush()).rejects.toMatchObject({ kind: 'retriable', operation: 'flush' });
    await expect(plain.flush()).resolves.toBeUndefined();
  });
});
