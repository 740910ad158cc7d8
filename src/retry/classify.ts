// Which failures retry and which go straight to the DLQ. Defaults (documented in docs/retries.md):
// poison pills, schema mismatches, contract violations and NonRetryableError go to the DLQ;
// timeouts, HTTP 408/429/5xx and RetryableError retry; anything else retries unless the step
// narrows it with `retry.retryOn` or sends it to the DLQ with `retry.dlqOn`.
export type Disposition = 'retry' | 'dlq';

export interface Classified {
  disposition: Disposition;
  errorClass: string;
  message: string;
  stack: string;
  /** A server's Retry-After, when it gave one (ms). */
  retryAfterMs?: number;
}

const ALWAYS_DLQ = new Set([
  'DeserializationError',
  'SchemaError',
  'SchemaValidationError',
  'TransformContractError',
  'NonRetryableError',
  'ConstraintViolation',
  'RecordTooLarge',
  'RecordRefused',
]);
const ALWAYS_RETRY = new Set(['TimeoutError', 'RetryableError', 'AbortError']);

export interface RetryPolicy {
  retryOn: readonly string[];
  dlqOn: readonly string[];
}

/** Errors that carry an HTTP status (the HTTP sink's, or a user's that sets `status`). */
function httpStatus(err: unknown): number | undefined {
  const s = (err as { status?: unknown })?.status;
  return typeof s === 'number' && s >= 100 && s < 600 ? s : undefined;
}

export function errorClassOf(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' ? err.name : err.constructor?.name || 'Error';
  return typeof err;
}

/**
 * The names an error answers to: its own `name` and the class names up its prototype chain, so a
 * subclass of NonRetryableError (or of a class named in `dlqOn`) with a name of its own behaves
 * like its base — also when the user's code loaded another copy of weir's error classes.
 */
export function lineage(err: unknown): string[] {
  if (!(err instanceof Error) && !(typeof err === 'object' && err !== null)) return [typeof err];
  const names = new Set<string>();
  const own = (err as { name?: unknown }).name;
  if (typeof own === 'string' && own) names.add(own);
  for (
    let proto = Object.getPrototypeOf(err) as object | null;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    const ctor = (proto as { constructor?: { name?: string } }).constructor;
    if (ctor?.name) names.add(ctor.name);
  }
  return [...names];
}

export function classify(err: unknown, policy: RetryPolicy): Classified {
  const errorClass = errorClassOf(err);
  const names = lineage(err);
  const any = (list: Iterable<string>) => {
    for (const n of list) if (names.includes(n)) return true;
    return false;
  };
  const message = err instanceof Error ? err.message : String(err);
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  const status = httpStatus(err);
  const retryAfterMs = (err as { retryAfterMs?: number })?.retryAfterMs;
  const base = { errorClass, message, stack, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  if (any(ALWAYS_DLQ) || any(policy.dlqOn)) return { ...base, disposition: 'dlq' };
  if (status !== undefined) return { ...base, disposition: status === 408 || status === 429 || status >= 500 ? 'retry' : 'dlq' };
  if (any(ALWAYS_RETRY) || any(policy.retryOn)) return { ...base, disposition: 'retry' };
  return { ...base, disposition: policy.retryOn.length > 0 ? 'dlq' : 'retry' };
}
