// The test driver's clock: time moves only when the test says so. Timers (a retry tier's resume at
// its head's due time) fire in due order as `advanceTo` passes them; the driver lets the workers run
// after each, so a record that fails again at 5 s is due in its next tier counting from 5 s.
import type { Clock, Timer } from '../runtime/clock.ts';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): Timer {
    const p: Pending = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.pending.push(p);
    return { cancel: () => void (p.cancelled = true) };
  }

  /** Backoff after a failed batch takes no virtual time: the driver never waits for real. */
  sleep(): Promise<void> {
    return Promise.resolve();
  }

  /** When the next live timer fires, if there is one at or before `limit`. */
  nextTimerAt(limit: number): number | undefined {
    this.pending = this.pending.filter((p) => !p.cancelled);
    const due = this.pending.filter((p) => p.at <= limit).sort((a, b) => a.at - b.at || a.seq - b.seq);
    return due[0]?.at;
  }

  /** Moves to `at` (never back) and fires the timers due by then, in order. */
  fireUntil(at: number): number {
    this.current = Math.max(this.current, at);
    let fired = 0;
    for (;;) {
      const next = this.pending.filter((p) => !p.cancelled && p.at <= this.current).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) return fired;
      next.cancelled = true;
      next.fn();
      fired++;
    }
  }
}
