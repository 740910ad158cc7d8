// Header names weir writes, and the deterministic event id.
import type { Header } from '../kafka/types.ts';

export const HEADER = {
  eventId: 'weir.event.id',
  traceparent: 'traceparent',
} as const;

/**
 * The id of an output record, derived from the coordinates of the input that caused it (for a
 * retried record: of its original input), the step, and its index among that input's outputs. A
 * replay or redo of the same input yields the same ids, so idempotent sinks absorb it.
 */
export function eventId(step: string, origin: { topic: string; partition: number; offset: number }, index: number): string {
  return `${step}:${origin.topic}:${origin.partition}:${origin.offset}:${index}`;
}

export function headerText(headers: readonly Header[], key: string): string | undefined {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i]!.key === key) return headers[i]!.value.toString('utf8');
  return undefined;
}

/** Headers as a string map for transforms (last value wins, like most Kafka clients' lookups). */
export function headerMap(headers: readonly Header[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of headers) out[h.key] = h.value.toString('utf8');
  return out;
}
