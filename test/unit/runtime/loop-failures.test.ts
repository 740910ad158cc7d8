// Transaction failures, by kind, as the lifecycle table routes them: abortable → abort and redo;
// indefinite → a new producer fences the old epoch; fenced → new clients; fatal → stop with the
// broker's reason. After each, every input's output exists exactly once.
import { describe, expect, it } from 'vitest';
import { flush, range, setup } from './fixtures.ts';

const START = [
  'starting→rebalancing',
  'rebalancing→collecting',
  'collecting→processing',
  'processing→producing',
  'producing→collecting',
  'collecting→settling',
];
const REDO = [
  'rewinding→collecting',
  'collecting→processing',
  'processing→producing',
  'producing→collecting',
  'collecting→settling',
  'settling→collecting',
  'collecting→collecting',
];

describe('worker loop: transaction failures', () => {
  it('abortable on commit: settling → aborting → rewinding → collecting, the batch is redone once', async () => {
    const h = await setup({ records: 3 });
    h.input(range(3));
    h.cluster.failNext('transaction.commit', 'abortable');
    await h.idle();
    expect(h.transitions).toEqual([...START, 'settling→aborting', 'aborting→rewinding', ...REDO]);
    expect(h.outputs()).toEqual(range(3));
    expect(h.committed()).toBe(3);
    expect(h.cluster.stats.abortedTransactions).toBe(1);
    expect(h.cluster.stats.abortedRecords.map((r) => r.topic)).toEqual(['out', 'out', 'out']);
    expect(h.cluster.stats.committedTransactions).toBe(1);
    expect(h.made.producers).toHaveLength(1);
    expect(h.cluster.pendingFaults()).toEqual({});
  });

  it('abortable on produce dooms the transaction the same way', async () => {
    const h = await setup({ records: 3 });
    h.input(range(3));
    h.cluster.failNext('produce', 'abortable');
    await h.idle();
    expect(h.transitions).toEqual([...START, 'settling→aborting', 'aborting→rewinding', ...REDO]);
    expect(h.outputs()).toEqual(range(3));
    expect(h.cluster.stats.abortedTransactions).toBe(1);
  });

  it('the abort itself fails: aborting → replacing, a new producer, then the redo', async () => {
    const h = await setup({ records: 3 });
    h.input(range(3));
    h.cluster.failNext('transaction.commit', 'abortable');
    h.cluster.failNext('transaction.abort', 'retriable');
    await h.idle();
    expect(h.transitions).toEqual([...START, 'settling→aborting', 'aborting→replacing', 'replacing→rewinding', ...REDO]);
    expect(h.made.producers).toHaveLength(2);
    expect(h.outputs()).toEqual(range(3));
    expect(h.committed()).toBe(3);
    // The old producer's disconnect dropped its doomed transaction.
    expect(h.cluster.stats.abortedTransactions).toBe(1);
  });

  it('indefinite (timeout) on commit: settling → replacing (a new producer) → rewinding, outputs once', async () => {
    const h = await setup({ records: 3 });
    h.input(range(3));
    h.cluster.failNext('transaction.commit', 'indefinite', 'Local: Timed out');
    await h.idle();
    expect(h.transitions).toEqual([...START, 'settling→replacing', 'replacing→rewinding', ...REDO]);
    expect(h.made.producers).toHaveLength(2);
    expect(h.made.consumers).toHaveLength(1);
    expect(h.openClients()).toBe(2); // the consumer and the new producer
    expect(h.outputs()).toEqual(range(3));
    expect(h.committed()).toBe(3);
    expect(h.cluster.stats).toMatchObject({ abortedTransactions: 1, committedTransactions: 1 });
  });

  it('indefinite on commit after it took effect (the answer lost): resumes at the stable committed offsets, outputs once', async () => {
    const h = await setup({ records: 3 });
    h.input(range(3));
    h.cluster.failAfterCommit('indefinite', 'Local: Timed out');
    await h.idle();
    expect(h.transitions).toEqual([...START, 'settling→replacing', 'replacing→rewinding', 'rewinding→collecting', 'collecting→collecting']);
    expect(h.outputs()).toEqual(range(3));
    expect(h.committed()).toBe(3);
    expect(h.cluster.stats).toMatchObject({ abortedTransactions: 0, committedTransactions: 1 });
    expect(h.cluster.pendingFaults()).toEqual({});
  });

  it('the committed offsets cannot be read after a lost answer (any error): it rejoins, never stops, outputs once', async () => {
    const h = await setup({ records: 3 });
    h.input(range(3));
    h.cluster.failAfterCommit('indefinite', 'Local: Timed out');
    h.cluster.failNext('committed', 'fatal', 'Broker: The coordinator is loading');
    await h.idle();
    expect(h.transitions.slice(6, 10)).toEqual(['settling→replacing', 'replacing→rewinding', 'rewinding→rejoining', 'rejoining→starting']);
    expect(h.loop.failure).toBeUndefined();
    expect(h.outputs()).toEqual(range(3));
    expect(h.committed()).toBe(3);
  });

  it.each(['transaction.sendOffsets', 'transaction.commit'])(
    'fenced on %s: settling → rejoining → starting with new clients, outputs once',
    async (op) => {
      const h = await setup({ records: 3 });
      h.input(range(5));
      h.cluster.failNext(op, 'fenced');
      await h.idle();
      expect(h.transitions.slice(0, 8)).toEqual([
        ...START.slice(0, 5),
        'collecting→processing',
        'processing→settling',
        'settling→rejoining',
      ]);
      expect(h.transitions.slice(8, 11)).toEqual(['rejoining→starting', 'starting→rebalancing', 'rebalancing→collecting']);
      expect(h.made.consumers).toHaveLength(2);
      expect(h.made.producers).toHaveLength(2);
      expect(h.openClients()).toBe(2);
      expect(h.outputs()).toEqual(range(5));
      expect(h.committed()).toBe(5);
      expect(h.cluster.stats.abortedTransactions).toBe(1);
      expect(h.loop.failure).toBeUndefined();
    },
  );

  it('a real zombie: another producer took the transactional id mid-commit → rejoining, and the new one fences it back', async () => {
    const h = await setup({ records: 3 });
    h.input(range(3));
    h.commits.hold();
    await h.until(() => h.transitions.at(-1) === 'producing→collecting', 'a batch in flight');
    const usurper = await h.cluster.clients().producer({ name: 'usurper', transactionalId: h.loop.transactionalId });
    await usurper.initTransactions(1_000);
    h.commits.release();
    await h.idle();
    expect(h.transitions).toContain('settling→rejoining');
    expect(h.made.producers).toHaveLength(2);
    await expect(usurper.beginTransaction()).rejects.toMatchObject({ kind: 'fenced' });
    expect(h.outputs()).toEqual(range(3));
    expect(h.committed()).toBe(3);
  });

  it('fatal on commit: settling → stopped with the broker message, clients disconnected, nothing committed', async () => {
    const h = await setup({ records: 3 });
    h.input(range(3));
    h.cluster.failNext('transaction.commit', 'fatal', 'Broker: Transactional Id authorization failed');
    await h.reach('stopped');
    expect(h.transitions).toEqual([...START, 'settling→stopped']);
    expect(h.loop.failure?.message).toBe('transaction.commit: Broker: Transactional Id authorization failed');
    expect(h.worker.failure).toBe(h.loop.failure);
    expect(h.openClients()).toBe(0);
    expect(h.outputs()).toEqual([]);
    expect(h.committed()).toBeUndefined();
    expect(h.cluster.stats).toMatchObject({ committedTransactions: 0, abortedTransactions: 1 });
  });

  it('fatal while polling (the input topic does not exist): collecting → stopped with the reason', async () => {
    const h = await setup({ noInput: true });
    await h.reach('stopped');
    expect(h.transitions).toEqual(['starting→rebalancing', 'rebalancing→collecting', 'collecting→stopped']);
    expect(h.loop.failure?.message).toMatch(/^consume: Subscribed topic not available: in: Broker: Unknown topic or partition/);
    expect(h.made.consumers).toHaveLength(1);
    expect(h.openClients()).toBe(0);
  });
  it('fenced while polling with a write in flight: the clients close only after the write ended', async () => {
    const h = await setup({ records: 3 });
    h.input(range(3));
    h.commits.hold();
    await h.until(() => h.transitions.at(-1) === 'producing→collecting', 'a batch in flight');
    h.cluster.failNext('consume', 'fenced');
    const rejoined = h.until(() => h.transitions.includes('rejoining→starting'), 'rejoined');
    for (let i = 0; i < 20; i++) await flush();
    expect(h.transitions.at(-1)).toBe('collecting→rejoining');
    // Closing the producer under its commit deadlocks librdkafka: both clients must still be open.
    expect(h.openClients()).toBe(2);
    h.commits.release();
    await rejoined;
    await h.idle();
    expect(h.made.producers).toHaveLength(2);
    expect(h.openClients()).toBe(2);
    expect(h.outputs()).toEqual(range(3));
    expect(h.committed()).toBe(3);
  });
});
