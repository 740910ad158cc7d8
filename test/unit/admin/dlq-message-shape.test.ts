// `weir dlq stats` groups errors by message shape: numbers, hex ids and UUIDs are blurred so that
// "order 17 failed" and "order 18 failed" count as one error, while different words stay apart.
import { describe, expect, it } from 'vitest';
import { messageShape } from '../../../src/admin/dlq/entries.ts';

describe('messageShape', () => {
  it('blurs numbers, hex-like ids (e3, 7f3a) and UUIDs', () => {
    expect(messageShape('order 17 failed')).toBe('order # failed');
    expect(messageShape('event e3 can never be processed')).toBe('event # can never be processed');
    expect(messageShape('row 7f3a0c rejected')).toBe('row # rejected');
    expect(messageShape('id 123e4567-e89b-12d3-a456-426614174000 unknown')).toBe('id <uuid> unknown');
  });

  it('keeps words without digits, so different errors stay apart', () => {
    expect(messageShape('connection refused')).toBe('connection refused');
    expect(messageShape('bad feed')).toBe('bad feed');
    expect(messageShape('order 1 failed')).not.toBe(messageShape('order 1 timed out'));
  });

  it('caps the shape at 120 characters', () => {
    expect(messageShape('x'.repeat(500))).toHaveLength(120);
  });
});
