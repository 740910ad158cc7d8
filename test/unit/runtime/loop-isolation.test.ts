// A record Kafka refuses though the step could not foresee it (the output topic's limit lowered
// after the start): the batch aborts on every redo until, after three identical aborts, the step
// takes its records one per transaction and sends the refused one to the DLQ. Failures that are
// not a record's (an abortable error of the cluster) never dead-letter anything.
import { describe, expect, it } from 'vitest';
import { RETRY_HEADERS } from '../../../src/retry/envelope.ts';
import { KEPT_BYTES, TRUNCATED_HEADER } from '../../../src/runtime/size-limits.ts';
import type { Processor } from '../../../src/runtime/processors.ts';
import { OUT, range, setup } from './fixtures.ts';

const BIG = 5;
/** Every record's output is small, but record BIG's output is 4 KB. */
const bigAt5: Processor = (r) => {
  const n = (r.value as { n: number }).n;
  return [{ value: { n, out: true, pad: n === BIG ? 'x'.repeat(4_000) : '' } }];
};
const header = (r: { headers: { key: string; value: Buffer }[] }, key: string) => r.headers.find((h) => h.key === key)?.value.toString();

describe('worker loop: isolating a record Kafka refuses', () => {
  it('after 3 identical aborts, one record per transaction: the refused one goes to the DLQ, every other output once', async () => {
    const h = await setup({ records: 20, processor: bigAt5 });
    h.cluster.limitMessageBytes(OUT, 1_000);
    h.input(range(10));
    await h.idle();
    expect(h.outputs()).toEqual(range(10).filter((n) => n !== BIG));
    expect(h.committed()).toBe(10);
    const dlq = h.cluster.records(h.step.retry.dlq);
    expect(dlq).toHaveLength(1);
    expect(JSON.parse(dlq[0]!.value!.toString())).toEqual({ n: BIG }); // the input's bytes, intact
    expect(header(dlq[0]!, RETRY_HEADERS.errorClass)).toBe('RecordTooLarge');
    expect(header(dlq[0]!, RETRY_HEADERS.errorMessage)).toMatch(/out: Broker: Message size too large/);
    // 3 aborts of the whole batch, 1 of the record alone; then past the batch, full batches again.
    expect(h.cluster.stats.abortedTransactions).toBe(4);
    const before = h.cluster.stats.committedTransactions;
    h.input(range(10, 100));
    await h.idle();
    expect(h.cluster.stats.committedTransactions - before).toBeLessThanOrEqual(2); // one batch (and an idle commit)
    expect(h.outputs()).toHaveLength(19);
  });

  it('a DLQ that refuses the record too gets a bounded copy: the first bytes and the original size', async () => {
    const h = await setup({ records: 20, processor: (r) => [{ value: r.value }] });
    h.cluster.limitMessageBytes(OUT, 1_000);
    h.cluster.limitMessageBytes(h.step.retry.dlq, 3_000);
    h.input([1, 2]);
    h.input([3], undefined, (n) => Buffer.from(JSON.stringify({ n, pad: 'y'.repeat(5_000) })));
    await h.idle();
    expect(h.outputs()).toEqual([1, 2]);
    const dlq = h.cluster.records(h.step.retry.dlq);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.value).toHaveLength(KEPT_BYTES);
    expect(dlq[0]!.value!.toString()).toBe(JSON.stringify({ n: 3, pad: 'y'.repeat(5_000) }).slice(0, KEPT_BYTES));
    expect(header(dlq[0]!, TRUNCATED_HEADER)).toBe(String(JSON.stringify({ n: 3, pad: 'y'.repeat(5_000) }).length));
    expect(h.committed()).toBe(3);
  });

  it('aborts that are not a refusal of a record are redone, never dead-lettered', async () => {
    const h = await setup({ records: 20 });
    h.input(range(6));
    for (let i = 0; i < 5; i++) h.cluster.failNext('transaction.commit', 'abortable', 'Broker: Not enough in-sync replicas');
    await h.idle();
    expect(h.outputs()).toEqual(range(6));
    expect(h.cluster.records(h.step.retry.dlq)).toEqual([]);
    expect(h.cluster.stats.abortedTransactions).toBe(5);
  });
});
