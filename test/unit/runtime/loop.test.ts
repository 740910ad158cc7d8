// The worker loop on the in-memory cluster, driven one state at a time: the happy path with batches
// overlapping their commits, stopping (with a batch in flight, and through Worker.start/stop), and
// the hooks of the fault suite.
import { describe, expect, it } from 'vitest';
import type { CrashPoint } from '../../../src/runtime/hooks.ts';
import { flush, range, setup } from './fixtures.ts';

/** One batch of records (2 per batch) commits while the next is collected and processed. */
const PIPELINED_5 = [
  'starting→rebalancing',
  'rebalancing→collecting',
  'collecting→processing', // [0, 1]
  'processing→producing',
  'producing→collecting', // [0, 1] in flight
  'collecting→processing', // [2, 3]
  'processing→settling',
  'settling→producing',
  'producing→collecting',
  'collecting→processing', // [4]
  'processing→settling',
  'settling→producing',
  'producing→collecting',
  'collecting→settling', // nothing more: wait for [4]
  'settling→collecting',
  'collecting→collecting', // idle
];

describe('worker loop: happy path', () => {
  it('starting → rebalancing → collecting → processing → producing → …: every output once, offset last+1', async () => {
    const h = await setup({ records: 2 });
    h.input(range(5));
    await h.idle();
    expect(h.transitions).toEqual(PIPELINED_5);
    expect(h.outputs()).toEqual(range(5));
    expect(h.cluster.records('out').map((r) => r.key?.toString())).toEqual(range(5).map((n) => `k${n}`));
    expect(h.committed()).toBe(5);
    expect(h.cluster.stats).toMatchObject({ committedTransactions: 3, abortedTransactions: 0 });
    expect(h.loop.failure).toBeUndefined();
  });

  it('records arriving later are picked up from where the group left off', async () => {
    const h = await setup({ records: 2, partitions: 2 });
    h.input(range(3));
    await h.idle();
    h.input(range(4, 3));
    const mark = h.mark();
    await h.idle();
    expect(h.since(mark)[0]).toBe('collecting→processing');
    expect(h.outputs().sort()).toEqual(range(7));
    const perPartition = [0, 1].map((p) => h.cluster.records('in', p).length);
    expect([h.committed(0), h.committed(1)]).toEqual(perPartition);
    expect(h.cluster.stats.abortedTransactions).toBe(0);
  });

  it('advance() after stopped is a bug: it throws and the state stays stopped', async () => {
    const h = await setup();
    h.loop.requestStop();
    await h.reach('stopped');
    expect(h.transitions).toEqual(['starting→closing', 'closing→stopped']);
    await expect(h.loop.advance()).rejects.toThrow('the worker has stopped');
    expect(h.loop.state).toBe('stopped');
  });
});

describe('worker loop: stop', () => {
  it('stop while a batch commits: settling waits for its commit, then closing → stopped', async () => {
    const h = await setup({ records: 3 });
    h.input(range(3));
    h.commits.hold();
    await h.until(() => h.transitions.at(-1) === 'producing→collecting', 'a batch in flight');
    h.loop.requestStop();
    const mark = h.mark();
    await h.loop.advance();
    expect(h.since(mark)).toEqual(['collecting→settling']);
    const settling = h.loop.advance();
    await flush();
    // Still waiting for the outcome: nothing committed, not closing yet.
    expect(h.loop.state).toBe('settling');
    expect(h.committed()).toBeUndefined();
    h.commits.release();
    await settling;
    await h.reach('stopped');
    expect(h.since(mark)).toEqual(['collecting→settling', 'settling→closing', 'closing→stopped']);
    expect(h.outputs()).toEqual(range(3));
    expect(h.committed()).toBe(3);
    expect(h.cluster.stats).toMatchObject({ committedTransactions: 1, abortedTransactions: 0 });
    expect(h.loop.failure).toBeUndefined();
    expect(h.openClients()).toBe(0);
  });

  it('stop with the next batch processed: it is produced and committed too before closing', async () => {
    const h = await setup({ records: 2 });
    h.input(range(4));
    await h.until(() => h.transitions.at(-1) === 'processing→settling', 'a second batch processed');
    h.loop.requestStop();
    const mark = h.mark();
    await h.reach('stopped');
    expect(h.since(mark)).toEqual(['settling→producing', 'producing→settling', 'settling→closing', 'closing→stopped']);
    expect(h.outputs()).toEqual(range(4));
    expect(h.committed()).toBe(4);
  });

  it('Worker.stop() with a batch in flight: the background loop commits it, closes and resolves', async () => {
    const h = await setup({ records: 2 });
    h.input(range(2));
    await h.until(() => h.transitions.at(-1) === 'producing→collecting', 'a batch in flight');
    await h.worker.start();
    await h.worker.stop();
    await h.worker.done;
    expect(h.loop.state).toBe('stopped');
    expect(h.transitions.slice(-2)).toEqual(['settling→closing', 'closing→stopped']);
    expect(h.transitions).not.toContain('settling→aborting');
    expect(h.outputs()).toEqual(range(2));
    expect(h.committed()).toBe(2);
    expect(h.worker.failure).toBeUndefined();
    expect(h.openClients()).toBe(0);
  });
});

describe('worker loop: hooks', () => {
  it("crashPoint: 'after-produce' then 'after-send-offsets' per batch with outputs; only the latter without", async () => {
    const points: CrashPoint[] = [];
    // Odd records produce nothing: the second batch [1] has no outputs.
    const h = await setup({
      records: 1,
      processor: (r) => ((r.value as { n: number }).n % 2 ? [] : [{ value: r.value }]),
      hooks: { crashPoint: (p) => points.push(p) },
    });
    h.input([0, 1, 2]);
    await h.idle();
    expect(points).toEqual(['after-produce', 'after-send-offsets', 'after-send-offsets', 'after-produce', 'after-send-offsets']);
    expect(h.outputs()).toEqual([0, 2]);
    expect(h.committed()).toBe(3);
  });

  it('crashPoint runs inside the transaction: outputs are not visible there yet, and are after the commit', async () => {
    let visible: number[] | undefined;
    const h = await setup({ hooks: { crashPoint: (p) => p === 'after-send-offsets' && (visible ??= h.outputs()) } });
    h.input(range(2));
    await h.idle();
    expect(visible).toEqual([]);
    expect(h.outputs()).toEqual(range(2));
  });

  it('crashArmed: the producer flushes before the crash point (records in the log mid-transaction)', async () => {
    const calls: string[] = [];
    const h = await setup({ hooks: { crashArmed: (p) => p === 'after-produce', crashPoint: (p) => calls.push(p) } });
    h.input(range(2));
    await h.reach('rebalancing');
    const producer = h.made.producers[0]!;
    const flush = producer.flush.bind(producer);
    producer.flush = async (ms) => {
      calls.push('flush');
      await flush(ms);
    };
    await h.idle();
    expect(calls).toEqual(['flush', 'after-produce', 'after-send-offsets']);
  });

  it('commitLastProcessed: the batch commits the last processed offset, not the next one', async () => {
    const atSettle: Array<number | undefined> = [];
    const h = await setup({
      records: 2,
      hooks: { commitLastProcessed: true, onTransition: (from) => from === 'settling' && atSettle.push(h.committed()) },
    });
    h.input(range(5));
    await h.until(() => h.transitions.at(-1) === 'collecting→settling', 'the last batch settling');
    await h.loop.advance();
    // Each settle sees the offset of its batch's last record: 1, 3, 4 (the next ones would be 2, 4, 5).
    expect(atSettle).toEqual([1, 3, 4]);
    expect(h.committed()).toBe(4);
    expect(h.outputs()).toEqual(range(5));
  });
});
