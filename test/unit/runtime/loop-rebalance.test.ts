// Rebalances with a batch in flight: the loop settles (commits) the batch before it completes the
// revoke, so the next owner starts from committed offsets that include it — nothing lost, nothing
// twice.
import { describe, expect, it } from 'vitest';
import type { State } from '../../../src/runtime/lifecycle.ts';
import { flush, IN, range, setup } from './fixtures.ts';

const P0 = [{ topic: IN, partition: 0 }];

describe('worker loop: rebalance with a batch in flight', () => {
  it("revoke while a batch commits: 'settling' (commit) before 'rebalancing' (revoke), outputs once", async () => {
    const seen: Array<{ to: State; committed: number | undefined; assigned: number }> = [];
    const h = await setup({
      records: 3,
      hooks: {
        onTransition: (_from, to) =>
          void seen.push({ to, committed: h.committed(), assigned: h.loop.assignment.filter((tp) => tp.topic === IN).length }),
      },
    });
    h.input(range(6));
    h.commits.hold();
    await h.until(() => h.transitions.at(-1) === 'producing→collecting', 'a batch in flight');
    h.cluster.revoke(h.step.group, P0);
    const mark = h.mark();
    await h.loop.advance();
    const settling = h.loop.advance();
    await flush();
    // Waiting for the commit; the partition is still ours.
    expect(h.loop.state).toBe('settling');
    expect(h.loop.assignment).toContainEqual(P0[0]);
    h.commits.release();
    await settling;
    await h.loop.advance();
    expect(h.since(mark)).toEqual(['collecting→settling', 'settling→rebalancing', 'rebalancing→collecting']);
    const after = seen.slice(-2);
    expect(after[0]).toEqual({ to: 'rebalancing', committed: 3, assigned: 1 }); // committed, not yet revoked
    expect(after[1]).toEqual({ to: 'collecting', committed: 3, assigned: 0 });
    // The batch collected after the revoke arrived would have been [3, 4, 5]: it was never read.
    expect(h.outputs()).toEqual(range(3));
    await h.idle();
    expect(h.loop.assignment).toEqual([]);
    h.cluster.reassign(h.step.group);
    await h.idle();
    expect(h.outputs()).toEqual(range(6));
    expect(h.committed()).toBe(6);
    expect(h.cluster.stats).toMatchObject({ abortedTransactions: 0, committedTransactions: 2 });
  });

  it('revoke while the next batch is processed: both batches commit, then the revoke completes', async () => {
    const h = await setup({ records: 2 });
    h.input(range(6));
    await h.until(() => h.transitions.filter((t) => t === 'collecting→processing').length === 2, 'a second batch collected');
    h.cluster.revoke(h.step.group, P0);
    const mark = h.mark();
    await h.until(() => h.loop.state === 'collecting', 'back to collecting');
    expect(h.since(mark)).toEqual([
      'processing→settling',
      'settling→producing',
      'producing→settling',
      'settling→rebalancing',
      'rebalancing→collecting',
    ]);
    expect(h.committed()).toBe(4);
    expect(h.outputs()).toEqual(range(4));
    h.cluster.reassign(h.step.group);
    await h.idle();
    expect(h.outputs()).toEqual(range(6));
    expect(h.committed()).toBe(6);
  });

  it('a revoked transaction that fails is aborted and rewound before the revoke completes; the next owner redoes it', async () => {
    const h = await setup({ records: 3 });
    h.input(range(3));
    h.cluster.failNext('transaction.commit', 'abortable');
    await h.until(() => h.transitions.at(-1) === 'producing→collecting', 'a batch in flight');
    h.cluster.revoke(h.step.group, P0);
    const mark = h.mark();
    await h.until(() => h.loop.assignment.length === 0, 'the revoke completed');
    expect(h.since(mark)).toEqual([
      'collecting→settling',
      'settling→aborting',
      'aborting→rewinding',
      'rewinding→collecting',
      'collecting→rebalancing',
      'rebalancing→collecting',
    ]);
    expect(h.committed()).toBeUndefined();
    h.cluster.reassign(h.step.group);
    await h.idle();
    expect(h.outputs()).toEqual(range(3));
    expect(h.committed()).toBe(3);
  });

  it('a second replica joins while a batch is in flight: the partition moves only after the commit, outputs once', async () => {
    const h = await setup({ records: 2, partitions: 2 });
    h.input(range(12));
    await h.until(() => h.transitions.at(-1) === 'producing→collecting', 'a batch in flight');
    const b = await h.replica('i2');
    const bothIdle = () => h.loop.idle && b.loop.idle;
    for (let i = 0; i < 200 && !(bothIdle() && h.outputs().length === 12); i++) {
      await h.loop.advance();
      await b.loop.advance();
    }
    expect(h.outputs().sort((x, y) => x - y)).toEqual(range(12));
    // Each replica holds one input partition now; the first settled before it gave one up.
    expect(h.loop.assignment.filter((tp) => tp.topic === IN)).toHaveLength(1);
    expect(b.loop.assignment.filter((tp) => tp.topic === IN)).toHaveLength(1);
    const i = h.transitions.indexOf('settling→rebalancing');
    expect(i).toBeGreaterThan(0);
    expect(h.transitions.slice(0, i)).not.toContain('collecting→rebalancing');
    expect([h.committed(0), h.committed(1)]).toEqual([0, 1].map((p) => h.cluster.records(IN, p).length));
    expect(h.cluster.stats.abortedTransactions).toBe(0);
  });
});
