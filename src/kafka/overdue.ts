// A send_offsets_to_transaction that outlives its own timeout. librdkafka (2.15.1 here;
// confluentinc/librdkafka#5456, #5511) never checks that timeout while it waits for the group
// coordinator: when that broker dies, the call waits until one of the producer's broker connections
// goes up or down — for as long as the broker stays away — and the step waits with it (59 s and 74 s
// in the three-broker coordinator-kill runs). Destroying the producer under the call deadlocks
// (close-clients.ts), so the call is ended by fencing: a new producer with the same transactional id
// bumps the epoch, and the coordinator aborts the open transaction (nothing of it can commit); then
// one record sent through the stuck producer under the old epoch is refused as fenced — a fatal
// error, which librdkafka hands to the waiting call. The step fails with 'fenced' and rejoins with
// new clients, as after any fencing. Tried on `weir stack up --brokers 3`: the group coordinator
// SIGKILLed, the call waited 90 s and more; fenced, it returned 15 ms after the refused record.
import type { Logger } from '../observability/logger.ts';

export interface StuckCall {
  client: string;
  operation: string;
  /** A new producer of the same transactional id, initialised: the stuck one's epoch is fenced. */
  fence(): Promise<void>;
  /** One record through the stuck producer: refused under its fenced epoch, which ends the call. */
  nudge(): void;
  log: Logger | undefined;
}

/**
 * If the call has not settled `graceMs` after its `timeoutMs`: says so, fences the producer and
 * nudges it. Returns what to call when the call settles (it cancels the rescue, or skips the nudge
 * when the call returned while the fence was being made: the fenced producer fails its next call).
 */
export function rescueIfOverdue(timeoutMs: number, graceMs: number, stuck: StuckCall): () => void {
  const { client, operation, log } = stuck;
  const since = Date.now();
  let settled = false;
  const rescue = async () => {
    log?.warn(
      { client, operation, timeoutMs, waitedMs: Date.now() - since },
      `${operation} has not returned by its timeout: librdkafka is still waiting on a coordinator; fencing the producer to end the wait`,
    );
    try {
      await stuck.fence();
      if (settled) return;
      stuck.nudge();
      log?.warn(
        { client, operation },
        'a new producer with the same transactional id fenced the stuck one (its open transaction is aborted): the call ends fenced',
      );
    } catch (err) {
      log?.error({ client, operation, err: (err as Error).message }, 'could not fence the stuck producer: the call is still waiting');
    }
  };
  const timer = setTimeout(() => void rescue(), timeoutMs + graceMs);
  timer.unref();
  return () => {
    settled = true;
    clearTimeout(timer);
  };
}
