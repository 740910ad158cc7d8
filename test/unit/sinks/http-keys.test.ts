// Whose idempotency key: by default the topology's own coordinates of the input record, so an
// upstream producer cannot choose it by writing a `weir.event.id` header; the header only when the
// topology says to trust it.
import { describe, expect, it } from 'vitest';
import type { TransformContext, TransformRecord } from '../../../src/runtime/api.ts';
import { httpSender } from '../../../src/sinks/http.ts';
import type { PlannedStep } from '../../../src/topology/plan.ts';

const stepWith = (trustEventIdHeader: boolean, idempotencyKeyField: string | null = null) =>
  ({
    name: 'notify',
    group: 'weir.shop.notify',
    http: {
      url: 'http://receiver.example/hook',
      method: 'POST',
      headers: {},
      idempotencyHeader: 'Idempotency-Key',
      idempotencyKeyField,
      trustEventIdHeader,
      timeoutMs: 1_000,
      deliveryRecordTtlMs: null,
    },
  }) as unknown as PlannedStep;

const forged = {
  key: 'k',
  value: { id: 'o-1' },
  headers: { 'weir.event.id': 'chosen-by-upstream' },
  topic: 'orders',
  partition: 2,
  offset: 41,
  timestamp: 0,
};
const ctx = { signal: new AbortController().signal, trace: { traceparent: '' } } as unknown as TransformContext;

async function keyOf(step: PlannedStep, record: object): Promise<string> {
  let key = '';
  const send = httpSender(step, {
    env: {},
    fetch: async (_url, init) => {
      key = (init!.headers as Record<string, string>)['Idempotency-Key']!;
      return new Response('', { status: 200 });
    },
  });
  await send(record as TransformRecord, ctx);
  return key;
}

describe('HTTP idempotency keys', () => {
  it("default: the pipeline's step and the input coordinates; an incoming weir.event.id header is ignored", async () => {
    expect(await keyOf(stepWith(false), forged)).toBe('weir.shop.notify:orders:2:41');
  });

  it('trustEventIdHeader: the header, when the record has one; the coordinates otherwise', async () => {
    expect(await keyOf(stepWith(true), forged)).toBe('chosen-by-upstream');
    expect(await keyOf(stepWith(true), { ...forged, headers: {} })).toBe('weir.shop.notify:orders:2:41');
  });

  it('idempotencyKeyField: the value field', async () => {
    expect(await keyOf(stepWith(false, 'id'), forged)).toBe('o-1');
  });
});
