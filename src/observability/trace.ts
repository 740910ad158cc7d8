// W3C trace context (`traceparent: 00-<trace-id>-<span-id>-<flags>`): continue the record's trace
// when it has one, start one otherwise; each processing step is a new span of that trace.
import { randomFillSync } from 'node:crypto';

export interface TraceContext {
  traceparent: string;
  traceId: string;
  spanId: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZEROS = /^0+$/;

// Ids are drawn from a pool refilled 4 KiB at a time: one crypto call per record was a measurable
// share of a worker's CPU time.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += bytes;
  return pool.toString('hex', poolAt - bytes, poolAt);
}

/**
 * The `traceparent` of this step's span for a record: a child of the record's own trace when its
 * header is valid, a new trace otherwise (an invalid header, or a transform asking for ctx.trace). Only the string is built (per record, on the hot path);
 * `traceContext` splits it when a transform asks.
 */
export function childTraceparent(incoming: string | undefined): string {
  if (incoming !== undefined) {
    const m = TRACEPARENT.exec(incoming.length === 55 ? incoming : incoming.trim());
    if (m && !ZEROS.test(m[1]!) && !ZEROS.test(m[2]!)) return `00-${m[1]}-${randomHex(8)}-${m[3]}`;
  }
  const ids = randomHex(24); // trace id (16 bytes) and span id (8 bytes) from one slice of the pool
  return `00-${ids.slice(0, 32)}-${ids.slice(32)}-01`;
}

/** The parts of a traceparent made by childTraceparent. */
export function traceContext(traceparent: string): TraceContext {
  return { traceparent, traceId: traceparent.slice(3, 35), spanId: traceparent.slice(36, 52) };
}
