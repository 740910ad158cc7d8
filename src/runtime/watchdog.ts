// Per-record deadlines without a timer per record: a transform that answers with a promise has its
// deadline registered here, and one ticking check (running only while something is in flight) fails
// the overdue ones. Synchronous transforms never touch it.

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

interface Entry {
  deadline: number;
  expire: () => void;
}

export class Watchdog {
  private readonly entries = new Set<Entry>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly tickMs = 50) {}

  /**
   * `pending`, or a TimeoutError after `ms` (then `onExpire` runs: it aborts the transform's signal).
   * `what` names the work in the error and is only built if it expires.
   */
  watch<T>(pending: Promise<T>, ms: number, what: () => string, onExpire: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = {
        deadline: Date.now() + ms,
        expire: () => {
          onExpire();
          reject(new TimeoutError(`${what()} took longer than ${ms} ms`));
        },
      };
      this.add(entry);
      pending.then(
        (v) => {
          this.entries.delete(entry);
          resolve(v);
        },
        (e: unknown) => {
          this.entries.delete(entry);
          reject(e);
        },
      );
    });
  }

  private add(entry: Entry): void {
    this.entries.add(entry);
    this.timer ??= setInterval(() => {
      const now = Date.now();
      for (const e of this.entries) {
        if (e.deadline <= now) {
          this.entries.delete(e);
          e.expire();
        }
      }
      if (this.entries.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }, this.tickMs);
  }
}
