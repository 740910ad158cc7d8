// A librdkafka call that outlives its own timeout. send_offsets_to_transaction takes a timeout, but
// librdkafka (2.15.1 here; confluentinc/librdkafka#5456, #5511) never checks it while it waits for the
// group coordinator: when that broker dies the call waits until one of the producer's connections
// goes up or down, and the step waits with it (59 s and 74 s in the three-broker coordinator-kill
// runs). It cannot be abandoned — destroying a producer under it deadlocks (close-clients.ts) — so
// the worker says what it waits for instead of going silent.
import type { Logger } from '../observability/logger.ts';

/** Logs once if the call has not returned `graceMs` after its `timeoutMs`; returns the cancel. */
export function warnIfOverdue(client: string, operation: string, timeoutMs: number, graceMs: number, log: Logger | undefined): () => void {
  if (!log) return () => undefined;
  const since = Date.now();
  const timer = setTimeout(() => {
    log.warn(
      { client, operation, timeoutMs, waitedMs: Date.now() - since },
      `${operation} has not returned by its timeout: librdkafka is still waiting on a coordinator`,
    );
  }, timeoutMs + graceMs);
  timer.unref();
  return () => clearTimeout(timer);
}
