// The trace context written on every output: a child span of the record's own trace when its
// traceparent is valid, a fresh trace otherwise; and the parts a transform sees in ctx.trace.
import { describe, expect, it } from 'vitest';
import { childTraceparent, traceContext } from '../../../src/observability/trace.ts';

const FORMAT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

describe('childTraceparent', () => {
  it('continues a valid trace with a new span id and the same flags', () => {
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const child = childTraceparent(incoming);
    expect(child).toMatch(FORMAT);
    expect(child.slice(0, 36)).toBe(incoming.slice(0, 36));
    expect(child.slice(36, 52)).not.toBe('b7ad6b7169203331');
    expect(child.slice(-2)).toBe('00');
    expect(childTraceparent(`  ${incoming} `).slice(0, 36)).toBe(incoming.slice(0, 36));
  });

  it('starts a new sampled trace for a missing, malformed or all-zero traceparent', () => {
    for (const bad of [
      undefined,
      'nope',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    ]) {
      const child = childTraceparent(bad);
      expect(child).toMatch(FORMAT);
      expect(child.endsWith('-01')).toBe(true);
      expect(child.slice(3, 35)).not.toBe('0af7651916cd43dd8448eb211c80319c');
    }
  });

  it('never repeats an id across many records (ids come from a refilled random pool)', () => {
    const seen = new Set(Array.from({ length: 5_000 }, () => childTraceparent(undefined)));
    expect(seen.size).toBe(5_000);
    expect(new Set([...seen].map((t) => t.slice(36, 52))).size).toBe(5_000);
  });

  it('traceContext splits a traceparent into trace id and span id', () => {
    expect(traceContext('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toEqual({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
    });
  });
});
