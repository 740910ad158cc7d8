// A failed delivery's message ends in DLQ headers and `weir dlq` output: it must not carry the
// secrets the HTTP sink was configured with — values substituted from the environment into the URL
// or headers, URL userinfo, secret query parameters, credential headers — not even when the
// receiver echoes them back in its response body.
import { describe, expect, it } from 'vitest';
import type { TransformContext, TransformRecord } from '../../../src/runtime/api.ts';
import { httpSender } from '../../../src/sinks/http.ts';
import type { PlannedStep } from '../../../src/topology/plan.ts';

const SECRETS = { API_KEY: 'k3y-from-env-1', TOKEN: 'tok-from-env-2', PASS: 'pw-from-env-3' };

const step = {
  name: 'notify',
  http: {
    url: 'https://user:${PASS}@receiver.example/hook?api_key=${API_KEY}&region=eu',
    method: 'POST',
    headers: { authorization: 'Bearer ${TOKEN}', 'x-static-token': 'literal-token-4' },
    idempotencyHeader: 'Idempotency-Key',
    idempotencyKeyField: null,
    trustEventIdHeader: false,
    timeoutMs: 1_000,
    deliveryRecordTtlMs: null,
  },
} as unknown as PlannedStep;

const record = { key: 'k', value: { n: 1 }, headers: {}, topic: 'in', partition: 0, offset: 7, timestamp: 0 } as TransformRecord;
const ctx = {
  signal: new AbortController().signal,
  trace: { traceparent: '00-' + 'a'.repeat(32) + '-' + 'b'.repeat(16) + '-01' },
} as TransformContext;
const everySecret = [...Object.values(SECRETS), 'literal-token-4'];

async function failureOf(fetchImpl: typeof fetch): Promise<string> {
  const send = httpSender(step, { env: SECRETS, fetch: fetchImpl });
  const err = await send(record, ctx).then(
    () => undefined,
    (e: Error) => e,
  );
  if (!err) throw new Error('the delivery did not fail');
  return `${err.message}\n${JSON.stringify(err)}`;
}

describe('HTTP sink failures carry no secrets', () => {
  it('a network error names the URL with its password, api_key and substituted values masked', async () => {
    let thrown = '';
    const text = await failureOf(async (url) => {
      thrown = `fetch failed: connect ECONNREFUSED for ${String(url)}`;
      throw new TypeError(thrown);
    });
    // The client's own error had the key (the URL as sent, its userinfo moved to a header: fetch
    // refuses credentials in a URL); the failure's message does not.
    expect(thrown).toContain(SECRETS.API_KEY);
    expect(thrown).not.toContain('user:');
    for (const s of everySecret) expect(text).not.toContain(s);
    expect(text).toContain('receiver.example/hook');
    expect(text).toContain('region=eu');
  });

  it('a receiver that echoes the request headers in its 401 body does not put them into the message', async () => {
    let echoed = '';
    const text = await failureOf(async (_url, init) => {
      echoed = `denied: ${JSON.stringify(init?.headers)}`;
      return new Response(echoed, { status: 401 });
    });
    for (const s of [SECRETS.TOKEN, 'literal-token-4']) expect(echoed).toContain(s);
    for (const s of everySecret) expect(text).not.toContain(s);
    expect(text).toContain('HTTP 401: denied');
    expect(text).toContain('Idempotency-Key');
  });
});
