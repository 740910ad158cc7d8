// Outputs are checked against their topic's max.message.bytes (one comparison for a small record);
// a DLQ record its topic would refuse is cut to its first bytes, the original size in a header.
import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/retry/classify.ts';
import { KEPT_BYTES, RecordTooLarge, SizeLimits, TRUNCATED_HEADER } from '../../../src/runtime/size-limits.ts';

const MB = 1_048_588; // the broker's default max.message.bytes
const limits = new SizeLimits(
  new Map([
    ['out', MB],
    ['dlq', MB],
  ]),
);
const record = (topic: string, bytes: number, headers = [{ key: 'weir.event.id', value: 's:in:0:1:0' }]) => ({
  topic,
  key: 'k',
  value: Buffer.alloc(bytes, 1),
  headers,
});

describe('size limits', () => {
  it('passes records that fit and names the first that does not, its size, the limit and the topic', () => {
    expect(limits.check([record('out', 10), record('out', MB - 2_000)])).toBeUndefined();
    const err = limits.check([record('out', 10), record('out', 1_500_000)]);
    expect(err).toBeInstanceOf(RecordTooLarge);
    expect(err!.message).toMatch(/^an output of 15\d{5} bytes exceeds max\.message\.bytes 1048588 of topic out$/);
    expect(classify(err, { retryOn: [], dlqOn: [] }).disposition).toBe('dlq');
  });

  it('counts headers: a value just under the limit with large headers is refused', () => {
    const big = [{ key: 'x', value: 'y'.repeat(4_000) }];
    expect(limits.check([record('out', MB - 3_000, big)])).toBeInstanceOf(RecordTooLarge);
  });

  it('a topic with no known limit is not checked', () => {
    expect(limits.check([record('elsewhere', 5_000_000)])).toBeUndefined();
    expect(new SizeLimits(new Map()).check([record('out', 5_000_000)])).toBeUndefined();
  });

  it('bounds a DLQ record its topic would refuse: the first bytes, the original size; small ones unchanged', () => {
    const small = record('dlq', 100);
    expect(limits.bound(small)).toBe(small);
    const bounded = limits.bound(record('dlq', 2_000_000));
    expect(bounded.value!.length).toBe(KEPT_BYTES);
    expect(bounded.headers!.at(-1)).toEqual({ key: TRUNCATED_HEADER, value: '2000000' });
    expect(bounded.headers![0]).toEqual({ key: 'weir.event.id', value: 's:in:0:1:0' });
  });
});
