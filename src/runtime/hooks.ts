// What a caller may plug into a worker besides its clients. Production plugs in nothing; the fault
// suite plugs in crash points (through `weir run`'s test environment variables, src/cli/test-hooks.ts).
import type { State } from './lifecycle.ts';

export type CrashPoint = 'after-produce' | 'after-send-offsets' | 'after-db-commit';

export interface WorkerHooks {
  /** Called at each crash point of the protocol; the fault suite's implementation may kill the process there. */
  crashPoint?(point: CrashPoint): void;
  /** Whether a crash point is armed: the worker then flushes first, so the records are in the log (mid-transaction). */
  crashArmed?(point: CrashPoint): boolean;
  /**
   * Deliberately wrong offsets (the last processed instead of the next): the fault tests use it to
   * prove that they detect the duplicates this bug causes.
   */
  commitLastProcessed?: boolean;
  /** Every lifecycle transition (tests, tracing). */
  onTransition?(from: State, to: State, reason?: Error): void;
}
