// Per-record deadlines without a timer per record: asynchronous calls register a deadline, and one
// ticking check (running only while something is in flight) fails the overdue ones. Synchronous
// transforms never touch it. The AbortSignal handed to a transform is made only if it asks for it.

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

  guard<T>(ms: number, what: string, call: (signal: () => AbortSignal) => Promise<T> | T): Promise<T> | T {
    let controller: AbortController | undefined;
    const signal = () => (controller ??= new AbortController()).signal;
    const result = call(signal);
    if (!(result instanceof Promise)) return result;
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = {
        deadline: Date.now() + ms,
        expire: () => {
          controller?.abort();
          reject(new TimeoutError(`${what} took longer than ${ms} ms`));
        },
      };
      this.add(entry);
      result.then(
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
