// Closing a librdkafka client runs on libuv's thread pool, and a close can fail to call back: the
// binding drops the callback of a second disconnect while a first is still under way, and
// librdkafka's close can block on a group or transaction coordinator that is moving. A worker that
// awaited such a close would stop for good (seen in the three-broker leader-kill run: after a fenced
// static member, one step logged nothing for six minutes and ignored SIGTERM). So every close gets a
// deadline; past it the client is abandoned — said in the log, since its threads stay until exit.
import type { Logger } from '../observability/logger.ts';

/** Calls `close` and resolves when it calls back or after `timeoutMs`; true when it closed in time. */
export function closeWithin(what: string, timeoutMs: number, close: (done: () => void) => void, log: Logger | undefined): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      log?.warn({ client: what, timeoutMs }, 'client close did not return in time: abandoning the client');
      resolve(false);
    }, timeoutMs);
    try {
      close(() => {
        clearTimeout(timer);
        resolve(true);
      });
    } catch (err) {
      // The binding throws when the handle is already gone: nothing is left to close.
      clearTimeout(timer);
      log?.warn({ client: what, err: (err as Error).message }, 'client close failed: abandoning the client');
      resolve(false);
    }
  });
}
