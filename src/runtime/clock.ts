// Time as the worker sees it. Production uses the system clock; the test driver a virtual one, so
// a retry due in 30 s comes out after `advance('30s')` and never before.
export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` once `ms` have passed on this clock. */
  setTimer(fn: () => void, ms: number): Timer;
  /** Resolves after `ms` on this clock (backoff between redos). */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    // Node may fire a timer up to a millisecond early (it rounds); a retry must never be early.
    const t = setTimeout(fn, ms + 1);
    return { cancel: () => clearTimeout(t) };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
