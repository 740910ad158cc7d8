import { describe, expect, it } from 'vitest';
import type { Grant, TokenBucket } from '../../../src/ratelimit/bucket.ts';
import { GRANT_LIFETIME_MS, RateLimiter } from '../../../src/ratelimit/limiter.ts';

/** A bucket with unlimited tokens that records each request, and can be made to fail like a lost Redis. */
class FakeBucket implements TokenBucket {
  requests: number[] = [];
  down = false;
  async take(requested: number): Promise<Grant> {
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    this.requests.push(requested);
    return { granted: requested, waitMs: 0 };
  }
}

const settledWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('RateLimiter', () => {
  it('takes a tenth of a second of tokens per round trip and spends them locally', async () => {
    const bucket = new FakeBucket();
    const limiter = new RateLimiter(bucket, { perSecond: 1_000, burst: 1_000, onRedisDown: 'fail-closed' });
    for (let i = 0; i < 250; i++) await limiter.acquire();
    expect(bucket.requests).toEqual([100, 100, 100]);
  });

  it(`lets unspent tokens expire after ${GRANT_LIFETIME_MS} ms instead of hoarding them`, async () => {
    let now = 0;
    const bucket = new FakeBucket();
    const limiter = new RateLimiter(bucket, { perSecond: 1_000, burst: 1_000, onRedisDown: 'fail-closed', clock: () => now });
    await limiter.acquire(); // takes 100, 99 left
    now += GRANT_LIFETIME_MS - 1;
    await limiter.acquire();
    expect(bucket.requests).toHaveLength(1);
    now += 1;
    await limiter.acquire(); // 98 left but stale: a new round trip
    expect(bucket.requests).toHaveLength(2);
  });

  it('fail-closed: once the tokens in hand expire, nothing is granted until Redis answers again', async () => {
    let now = 0;
    const bucket = new FakeBucket();
    const errors: string[] = [];
    const limiter = new RateLimiter(bucket, {
      perSecond: 1_000,
      burst: 1_000,
      onRedisDown: 'fail-closed',
      clock: () => now,
      onRedisError: (e) => errors.push(e.message),
    });
    await limiter.acquire();
    bucket.down = true;
    await limiter.acquire(); // spends a token already granted
    now += GRANT_LIFETIME_MS;
    const waiting = limiter.acquire();
    expect(await settledWithin(waiting, 700)).toBe(false);
    expect(errors.length).toBeGreaterThanOrEqual(2); // retried with backoff, loudly
    bucket.down = false;
    expect(await settledWithin(waiting, 3_000)).toBe(true);
    expect(bucket.requests).toHaveLength(2);
  });

  it('fail-open: continues on a local bucket while Redis is unreachable', async () => {
    const bucket = new FakeBucket();
    bucket.down = true;
    const errors: string[] = [];
    const limiter = new RateLimiter(bucket, {
      perSecond: 50,
      burst: 50,
      onRedisDown: 'fail-open',
      onRedisError: (e) => errors.push(e.message),
    });
    for (let i = 0; i < 20; i++) await limiter.acquire();
    expect(errors.length).toBeGreaterThan(0);
    expect(bucket.requests).toEqual([]);
  });
});
