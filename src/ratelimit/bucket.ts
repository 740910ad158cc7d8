// Token buckets. The Redis one is shared by every instance of a step: one atomic Lua script per
// acquisition, with the Redis server's clock, so instances on skewed hosts still agree.
import type { Redis } from 'ioredis';

export interface Grant {
  /** Tokens granted now (0 … requested). */
  granted: number;
  /** When the rest could be granted, in ms from now. */
  waitMs: number;
}

export interface TokenBucket {
  take(requested: number): Promise<Grant>;
}

/** Refill by elapsed time, grant what is there, say how long the rest needs. */
export function refill(
  state: { tokens: number; at: number },
  now: number,
  perSecond: number,
  burst: number,
  requested: number,
): Grant & { tokens: number } {
  const tokens = Math.min(burst, state.tokens + ((now - state.at) * perSecond) / 1000);
  const granted = Math.min(requested, Math.floor(tokens));
  const left = tokens - granted;
  const missing = requested - granted;
  return { granted, tokens: left, waitMs: missing > 0 ? Math.ceil(((missing - left) * 1000) / perSecond) : 0 };
}

export class LocalBucket implements TokenBucket {
  private state: { tokens: number; at: number };

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly clock = () => Date.now(),
  ) {
    this.state = { tokens: burst, at: clock() };
  }

  async take(requested: number): Promise<Grant> {
    const now = this.clock();
    const r = refill(this.state, now, this.perSecond, this.burst, requested);
    this.state = { tokens: r.tokens, at: now };
    return { granted: r.granted, waitMs: r.waitMs };
  }
}

// KEYS[1] bucket; ARGV perSecond, burst, requested. Returns {granted, waitMs}.
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local requested = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (math.max(0, now - at) * rate) / 1000)
local granted = math.min(requested, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 60000)
local missing = requested - granted
local wait = 0
if missing > 0 then wait = math.ceil(((missing - tokens) * 1000) / rate) end
return {granted, wait}
`;

interface ScriptedRedis extends Redis {
  weirTake(key: string, perSecond: number, burst: number, requested: number): Promise<[number, number]>;
}

export class RedisBucket implements TokenBucket {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly key: string,
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    redis.defineCommand('weirTake', { numberOfKeys: 1, lua: SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  async take(requested: number): Promise<Grant> {
    const [granted, waitMs] = await this.redis.weirTake(this.key, this.perSecond, this.burst, requested);
    return { granted: Number(granted), waitMs: Number(waitMs) };
  }
}
