// The batch executor's lanes: records of one partition index — input and retry tiers alike — run in
// batch order, so ordered retries see a key's tier record and its input record in the order their
// outputs are written (found by the fault suite: an input record overtook its key's retried head).
import { describe, expect, it } from 'vitest';
import type { InboundRecord } from '../../../src/kafka/types.ts';
import { executeBatch } from '../../../src/runtime/execute.ts';
import type { Work } from '../../../src/runtime/step-io.ts';

const work = (topic: string, partition: number, key: string): Work =>
  ({
    raw: { topic, partition, offset: 0, key: Buffer.from(key), value: null, headers: [], timestamp: 0, size: 0 } satisfies InboundRecord,
  }) as unknown as Work;

describe('executeBatch lanes', () => {
  const batch = [work('in.retry.1s', 2, 'other'), work('in', 2, 'k'), work('in.retry.1s', 2, 'k'), work('in', 3, 'k')];

  for (const ordering of ['partition', 'key'] as const) {
    it(`${ordering} ordering: input and tier records of one partition index run in batch order`, async () => {
      // The input record is slow: a tier record in a lane of its own would finish first.
      const finished: number[] = [];
      await executeBatch(batch, ordering, 4, async (w) => {
        const i = batch.indexOf(w);
        await new Promise((r) => setTimeout(r, i === 1 ? 20 : 0));
        finished.push(i);
      });
      expect(finished.filter((i) => i === 1 || i === 2)).toEqual([1, 2]);
      expect(finished).toHaveLength(batch.length);
    });
  }

  it('different partition indexes are separate lanes (run side by side)', async () => {
    let inFlight = 0;
    let most = 0;
    await executeBatch([work('in', 0, 'a'), work('in', 1, 'a')], 'partition', 1, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    });
    expect(most).toBe(2);
  });
});
