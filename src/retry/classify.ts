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

const ALWAYS_DLQ = new Set(['DeserializationError', 'SchemaError', 'TransformContractError', 'NonRetryableError', 'ConstraintViolation']);
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

export function classify(err: unknown, policy: RetryPolicy): Classified {
  const errorClass = errorClassOf(err);
  const message = err instanceof Error ? err.message : String(err);
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  const status = httpStatus(err);
  const retryAfterMs = (err as { retryAfterMs?: number })?.retryAfterMs;
  const base = { errorClass, message, stack, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  if (ALWAYS_DLQ.has(errorClass) || policy.dlqOn.includes(errorClass)) return { ...base, disposition: 'dlq' };
  if (status !== undefined) return { ...base, disposition: status === 408 || status === 429 || status >= 500 ? 'retry' : 'dlq' };
  if (ALWAYS_RETRY.has(errorClass) || policy.retryOn.includes(errorClass)) return { ...base, disposition: 'retry' };
  return { ...base, disposition: policy.retryOn.length > 0 ? 'dlq' : 'retry' };
}
