// W3C trace context (`traceparent: 00-<trace-id>-<span-id>-<flags>`): continue the record's trace
// when it has one, start one otherwise; each processing step is a new span of that trace.
import { randomFillSync } from 'node:crypto';

export interface TraceContext {
  traceparent: string;
  traceId: string;
  spanId: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

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

export function childTrace(incoming: string | undefined): TraceContext {
  const m = incoming ? TRACEPARENT.exec(incoming.trim()) : null;
  const valid = m && !/^0+$/.test(m[1]!) && !/^0+$/.test(m[2]!);
  const traceId = valid ? m[1]! : randomHex(16);
  const flags = valid ? m[3]! : '01';
  const spanId = randomHex(8);
  return { traceparent: `00-${traceId}-${spanId}-${flags}`, traceId, spanId };
}
