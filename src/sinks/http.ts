// HTTP sink: each record is POSTed (or PUT) as JSON with an idempotency key derived from the
// topology's coordinates of its input record (or a value field, or, when the topology trusts its
// producers, the incoming `weir.event.id` header). The guarantee is at-least-once delivery: a crash
// after a 2xx and before the batch commits sends the record again, with the same key, for the
// receiver to absorb. For receivers without idempotency keys, an optional Redis delivery record (set
// after a 2xx, checked before sending) narrows that to the window between the 2xx and the record
// being set.
import type { Redis } from 'ioredis';
import type { PlannedStep } from '../topology/plan.ts';
import { isSecretHeader, redactText, redactUrl, registerSecrets } from '../config/redact.ts';
import { resolveTemplate, substitutedValues } from '../topology/templates.ts';
import { RetryableError, type OutputRecord, type TransformContext, type TransformRecord } from '../runtime/api.ts';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly bodyExcerpt: string,
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${status}${bodyExcerpt ? `: ${bodyExcerpt}` : ''}`);
  }
}

/** Retry-After as seconds or an HTTP date → ms from now. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function jsonSafe(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

export interface HttpSinkDeps {
  env?: Record<string, string | undefined>;
  /** For delivery records (`deliveryRecordTtl`). */
  redis?: Redis;
  /** The HTTP client; the test driver scripts the receiver's answers through it. */
  fetch?: typeof fetch;
}

function withoutCredentials(value: string, headers: Record<string, string>): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  if (!url.username && !url.password) return value;
  const basic = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) headers.Authorization = `Basic ${basic}`;
  registerSecrets([basic]);
  url.username = '';
  url.password = '';
  return url.toString();
}

export type SendFn = (record: TransformRecord, ctx: TransformContext) => Promise<OutputRecord[]>;

export function httpSender(step: PlannedStep, deps: HttpSinkDeps = {}): SendFn {
  const http = step.http!;
  const env = deps.env ?? process.env;
  // Resolved once at start: a missing variable stops the worker with the option's name.
  const configured = resolveTemplate(http.url, env, `steps.${step.name}.sink.http.url`);
  const headers = Object.fromEntries(
    Object.entries(http.headers).map(([k, v]) => [k, resolveTemplate(v, env, `steps.${step.name}.sink.http.headers.${k}`)]),
  );
  // fetch refuses a URL with credentials: `user:pw@` becomes basic authentication, as curl sends it.
  const url = withoutCredentials(configured, headers);
  if (http.deliveryRecordTtlMs !== null && !deps.redis) throw new Error(`step ${step.name}: deliveryRecordTtl needs Redis (REDIS_URL)`);
  // What a failure says is kept in DLQ headers and printed by `weir dlq`: every substituted value
  // and credential header value joins the redaction layer, which masks them there and in every
  // other channel — also when the receiver echoes them back.
  registerSecrets([
    ...substitutedValues(http.url, env),
    ...Object.values(http.headers).flatMap((v) => substitutedValues(v, env)),
    ...Object.entries(headers)
      .filter(([k]) => isSecretHeader(k))
      .map(([, v]) => v),
  ]);
  const shownUrl = redactText(redactUrl(url));
  const send = deps.fetch ?? fetch;
  return async (record, ctx) => {
    // The topology's own coordinates by default (the record's origin: the same on every retry);
    // a header only when the topology trusts whoever writes its input.
    const fromHeader = http.trustEventIdHeader ? record.headers['weir.event.id'] : undefined;
    const eventId = fromHeader ?? `${step.group}:${record.topic}:${record.partition}:${record.offset}`;
    let key = eventId;
    if (http.idempotencyKeyField) {
      let v: unknown = record.value;
      for (const part of http.idempotencyKeyField.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
      key = String(v ?? eventId);
    }
    const deliveredKey = `weir:delivered:${step.name}:${key}`;
    if (deps.redis && http.deliveryRecordTtlMs !== null && (await deps.redis.exists(deliveredKey))) return [];
    let res: Response;
    try {
      res = await send(url, {
        method: http.method,
        headers: { 'content-type': 'application/json', [http.idempotencyHeader]: key, traceparent: ctx.trace.traceparent, ...headers },
        body: JSON.stringify(jsonSafe(record.value)),
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(http.timeoutMs)]),
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        throw new RetryableError(`${http.method} ${shownUrl} timed out after ${http.timeoutMs} ms`);
      throw new RetryableError(`${http.method} ${shownUrl}: ${redactText(e.message)}`);
    }
    const body = res.ok ? '' : redactText(await res.text().catch(() => '')).slice(0, 200);
    // The status decides: 408, 429 and 5xx retry (after Retry-After, if given); other 4xx go to the DLQ.
    if (!res.ok) throw new HttpError(res.status, body, retryAfterMs(res.headers.get('retry-after')));
    await res.arrayBuffer().catch(() => undefined); // drain: the connection goes back to the pool
    if (deps.redis && http.deliveryRecordTtlMs !== null) await deps.redis.set(deliveredKey, '1', 'PX', http.deliveryRecordTtlMs);
    return [];
  };
}
