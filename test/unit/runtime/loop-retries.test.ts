// Ordered retries across an aborted transaction: the hop, the follower and the keys-topic record of
// the aborted batch vanish with it, and the in-memory key chains never see its staging — the redo
// decides afresh, so the key's records still come out once each, in order, after the delay.
import { describe, expect, it } from 'vitest';
import type { InboundRecord } from '../../../src/kafka/types.ts';
import { RetryableError } from '../../../src/runtime/api.ts';
import { headerText } from '../../../src/runtime/headers.ts';
import type { Processor } from '../../../src/runtime/processors.ts';
import { RETRY_HEADERS } from '../../../src/retry/envelope.ts';
import { setup } from './fixtures.ts';

const ORDERED = '{ delays: [1s], preserveKeyOrder: true }';

/** Record n = 1 fails on its first attempt; everything else passes through. */
const failFirstAttemptOf1: Processor = (r, ctx) => {
  const n = (r.value as { n: number }).n;
  if (n === 1 && ctx.attempt === 1) throw new RetryableError('upstream busy');
  return [{ value: { n } }];
};

const describeTier = (r: InboundRecord) => ({
  n: (JSON.parse(r.value!.toString()) as { n: number }).n,
  attempt: headerText(r.headers, RETRY_HEADERS.attempt),
  follows: headerText(r.headers, RETRY_HEADERS.follows) ?? null,
});

describe('worker loop: ordered retries across an abort', () => {
  it('the aborted hop leaves no trace: tier and keys topic hold one copy each; after 1 s, k@1 then k@2, once each', async () => {
    const h = await setup({ records: 10, retry: ORDERED, processor: failFirstAttemptOf1 });
    const tier = h.step.retry.tiers[0]!.topic;
    const keys = h.step.retry.keysTopic!;
    h.input([1, 2], () => 'k');
    h.cluster.failNext('transaction.commit', 'abortable');
    await h.idle();

    expect(h.transitions.slice(0, 10)).toEqual([
      'starting→rebalancing',
      'rebalancing→collecting',
      'collecting→processing',
      'processing→producing',
      'producing→collecting',
      'collecting→settling',
      'settling→aborting',
      'aborting→rewinding',
      'rewinding→collecting',
      'collecting→processing',
    ]);
    // The aborted transaction carried the hop, the follower and the keys record.
    expect(h.cluster.stats.abortedTransactions).toBe(1);
    expect(h.cluster.stats.abortedRecords.map((r) => r.topic)).toEqual([tier, tier, keys]);
    // The redo, committed: k@1 hopped as the head (attempt 2 next), k@2 follows it.
    expect(h.cluster.records(tier).map(describeTier)).toEqual([
      { n: 1, attempt: '2', follows: null },
      { n: 2, attempt: '1', follows: '1' },
    ]);
    const chain = h.cluster.records(keys);
    expect(chain.map((r) => [r.key?.toString(), r.value?.toString()])).toEqual([['k', '{"m":[[0,0],[1,0]]}']]);
    expect(h.outputs()).toEqual([]);
    expect(h.committed()).toBe(2);

    // Not due yet: the tier partition is held, nothing comes out however often the loop goes round.
    await h.steps(10);
    expect(h.outputs()).toEqual([]);

    h.clock.fireUntil(h.clock.now() + 1_001);
    await h.until(() => h.outputs().length >= 2, 'both records out');
    await h.idle();
    expect(h.outputs()).toEqual([1, 2]);
    expect(h.cluster.records(tier)).toHaveLength(2);
    // The key left the chain: a tombstone follows the first keys record.
    expect(h.cluster.records(keys).map((r) => r.value?.toString() ?? null)).toEqual(['{"m":[[0,0],[1,0]]}', null]);
    expect(h.cluster.committedOffset(h.step.group, { topic: tier, partition: 0 })).toBe(2);
    expect(h.cluster.records(h.step.retry.dlq)).toEqual([]);
  });

  it('a key in the chain keeps later input records behind its head across batches', async () => {
    const h = await setup({ records: 1, retry: ORDERED, processor: failFirstAttemptOf1 });
    const tier = h.step.retry.tiers[0]!.topic;
    h.input([1, 2, 3], () => 'k');
    h.input([4], () => 'other');
    await h.idle();
    expect(h.outputs()).toEqual([4]);
    expect(h.cluster.records(tier).map((r) => describeTier(r).n)).toEqual([1, 2, 3]);
    h.clock.fireUntil(h.clock.now() + 1_001);
    await h.until(() => h.outputs().length >= 4, 'the chain drained');
    expect(h.outputs()).toEqual([4, 1, 2, 3]);
  });
});
