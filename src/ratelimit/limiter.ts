// A step's rate limit: takes tokens in small chunks (fewer Redis round trips), waits — never spins —
// when the bucket is empty, and follows the step's choice when Redis is unreachable: fail-closed
// waits and retries, fail-open continues on a local bucket. Both are loud in logs and metrics.
// Tokens taken but not yet spent expire after GRANT_LIFETIME_MS: a slow or idle instance must not
// hoard a chunk and spend it seconds later, on top of what other instances take meanwhile, or go
// on delivering long after Redis went away under fail-closed.
import { LocalBucket, type TokenBucket } from './bucket.ts';

export interface LimiterOptions {
  perSecond: number;
  burst: number;
  onRedisDown: 'fail-closed' | 'fail-open';
  /** Reports time spent waiting (ms) and Redis errors; the worker turns them into metrics, logs, pauses. */
  onWait?: (ms: number) => void | Promise<void>;
  onRedisError?: (err: Error) => void;
  clock?: () => number;
}

export const GRANT_LIFETIME_MS = 1_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RateLimiter {
  private spare = 0;
  private spareUntil = 0;
  private readonly local: LocalBucket;
  private readonly now: () => number;

  constructor(
    private readonly bucket: TokenBucket,
    private readonly opts: LimiterOptions,
  ) {
    this.local = bucket instanceof LocalBucket ? bucket : new LocalBucket(opts.perSecond, opts.burst);
    this.now = opts.clock ?? Date.now;
  }

  /** Chunk size: a tenth of a second's worth, at least 1, at most the burst. */
  private get chunk(): number {
    return Math.max(1, Math.min(this.opts.burst, Math.floor(this.opts.perSecond / 10)));
  }

  /** Resolves once one token is granted. */
  async acquire(): Promise<void> {
    if (this.spare > 0 && this.now() < this.spareUntil) {
      this.spare--;
      return;
    }
    let failures = 0;
    for (;;) {
      let grant;
      try {
        grant = await this.bucket.take(this.chunk);
        failures = 0;
      } catch (err) {
        this.opts.onRedisError?.(err as Error);
        if (this.opts.onRedisDown === 'fail-open') grant = await this.local.take(this.chunk);
        else {
          await sleep(Math.min(5_000, 200 * 2 ** failures++));
          continue;
        }
      }
      if (grant.granted > 0) {
        this.spare = grant.granted - 1;
        this.spareUntil = this.now() + GRANT_LIFETIME_MS;
        return;
      }
      await this.opts.onWait?.(grant.waitMs);
      await sleep(Math.max(1, grant.waitMs));
    }
  }
}
