// The sink strategy under the same loop: one batch at a time (not pipelined), rows and offsets in
// the sink's transaction, partitions starting where the sink says. A sink failure is transient
// (redo the batch, no Kafka transaction to abort) or SinkFenced (rejoin).
import { describe, expect, it } from 'vitest';
import { SinkFenced } from '../../../src/sinks/sink.ts';
import { FakeSink, IN, range, setup } from './fixtures.ts';

const FIRST_BATCH = [
  'starting→rebalancing',
  'rebalancing→collecting',
  'collecting→processing',
  'processing→producing',
  'producing→settling',
];
const REDO = [
  'rewinding→collecting',
  'collecting→processing',
  'processing→producing',
  'producing→settling',
  'settling→collecting',
  'collecting→collecting',
];

async function sinkSetup(records = 3) {
  const sink = new FakeSink();
  const h = await setup({ sink: true, fakeSink: sink, records });
  const rows = () => sink.rows.map((r) => (r.value as { n: number }).n);
  return { h, sink, rows };
}

describe('worker loop: sink strategy', () => {
  it('happy path: one batch at a time, rows and next offsets committed together, lag offsets to the group', async () => {
    const { h, sink, rows } = await sinkSetup(2);
    h.input(range(3));
    await h.idle();
    expect(h.transitions).toEqual([
      ...FIRST_BATCH,
      'settling→collecting',
      'collecting→processing',
      'processing→producing',
      'producing→settling',
      'settling→collecting',
      'collecting→collecting',
    ]);
    expect(rows()).toEqual(range(3));
    expect(sink.offsets.get(`${IN}/0`)).toBe(3);
    expect(h.committed()).toBe(3);
    expect(h.cluster.stats).toMatchObject({ committedTransactions: 0, abortedTransactions: 0 });
  });

  it.each(['begin', 'commit'] as const)(
    '%s rejects with a plain Error: TransientFailure → settling → aborting (nothing open) → rewinding, redone once',
    async (call) => {
      const { h, sink, rows } = await sinkSetup();
      h.input(range(3));
      (call === 'begin' ? sink.failBegin : sink.failCommit).push(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      await h.idle();
      expect(h.transitions).toEqual([...FIRST_BATCH, 'settling→aborting', 'aborting→rewinding', ...REDO]);
      expect(sink.begun).toBe(2);
      expect(rows()).toEqual(range(3));
      expect(sink.offsets.get(`${IN}/0`)).toBe(3);
      expect(h.committed()).toBe(3);
      expect(h.made.producers).toHaveLength(1);
      // No Kafka transaction was open, so none was aborted.
      expect(h.cluster.stats.abortedTransactions).toBe(0);
      expect(h.loop.failure).toBeUndefined();
    },
  );

  it("a commit that took effect and lost its answer: resumes at the sink's offsets, not the batch's first, rows once", async () => {
    const { h, sink, rows } = await sinkSetup();
    h.input(range(3));
    sink.loseCommitAnswer.push(new Error('Connection terminated unexpectedly'));
    await h.idle();
    expect(h.transitions).toEqual([
      ...FIRST_BATCH,
      'settling→aborting',
      'aborting→rewinding',
      'rewinding→collecting',
      'collecting→collecting',
    ]);
    expect(sink.begun).toBe(1);
    expect(rows()).toEqual(range(3));
    expect(sink.offsets.get(`${IN}/0`)).toBe(3);
    expect(sink.loseCommitAnswer).toEqual([]);
  });

  it('the stored positions cannot be read after a lost answer: it rejoins (not stops) and starts from them, rows once', async () => {
    const { h, sink, rows } = await sinkSetup();
    h.input(range(3));
    sink.loseCommitAnswer.push(new Error('Connection terminated unexpectedly'));
    sink.failPositions.push(new Error('the database system is starting up'));
    await h.idle();
    expect(h.transitions.slice(5, 10)).toEqual([
      'settling→aborting',
      'aborting→rewinding',
      'rewinding→rejoining',
      'rejoining→starting',
      'starting→rebalancing',
    ]);
    expect(h.loop.failure).toBeUndefined();
    expect(sink.begun).toBe(1);
    expect(rows()).toEqual(range(3));
  });

  it('SinkFenced: settling → rejoining → starting, new clients, rows once', async () => {
    const { h, sink, rows } = await sinkSetup();
    h.input(range(3));
    sink.failBegin.push(new SinkFenced('partition in/0 is claimed by another instance'));
    await h.idle();
    expect(h.transitions.slice(0, 9)).toEqual([
      ...FIRST_BATCH,
      'settling→rejoining',
      'rejoining→starting',
      'starting→rebalancing',
      'rebalancing→collecting',
    ]);
    expect(h.made.consumers).toHaveLength(2);
    expect(h.made.producers).toHaveLength(2);
    expect(h.openClients()).toBe(2);
    expect(rows()).toEqual(range(3));
    expect(h.committed()).toBe(3);
  });

  it('claiming partitions fails on an unreachable database: rebalancing → rejoining (not stopped), then it claims and writes', async () => {
    const { h, sink, rows } = await sinkSetup();
    h.input(range(3));
    sink.failClaim.push(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    await h.idle();
    expect(h.transitions.slice(0, 5)).toEqual([
      'starting→rebalancing',
      'rebalancing→rejoining',
      'rejoining→starting',
      'starting→rebalancing',
      'rebalancing→collecting',
    ]);
    expect(h.loop.failure).toBeUndefined();
    expect(rows()).toEqual(range(3));
  });

  it("after a rejoin the partitions start at the sink's offsets, not the group's (its lag commit was lost)", async () => {
    const { h, sink, rows } = await sinkSetup();
    h.input(range(3));
    h.cluster.failNext('commit', 'retriable'); // the best-effort commitAsync of the first batch is dropped
    await h.idle();
    expect(h.committed()).toBeUndefined();
    expect(sink.offsets.get(`${IN}/0`)).toBe(3);
    h.input(range(2, 3));
    sink.failBegin.push(new SinkFenced('claim taken'));
    await h.idle();
    expect(h.transitions).toContain('settling→rejoining');
    expect(rows()).toEqual(range(5));
    expect(sink.offsets.get(`${IN}/0`)).toBe(5);
  });

  it('a poison record hops to the DLQ in a Kafka transaction before the sink commits; if that fails, the sink rolls back and all is redone once', async () => {
    const { h, sink, rows } = await sinkSetup();
    h.input([0]);
    h.cluster.append(IN, { key: 'bad', value: Buffer.from('{not json') });
    h.input([2]);
    h.cluster.failNext('transaction.commit', 'abortable');
    await h.idle();
    expect(h.transitions).toEqual([...FIRST_BATCH, 'settling→aborting', 'aborting→rewinding', ...REDO]);
    expect(sink.rolledBack).toBe(1);
    expect(rows()).toEqual([0, 2]);
    expect(h.cluster.records(h.step.retry.dlq).map((r) => r.key?.toString())).toEqual(['bad']);
    expect(h.cluster.stats).toMatchObject({ abortedTransactions: 1, committedTransactions: 1 });
    expect(h.committed()).toBe(3);
  });
});
