// The API user transforms are written against: `async (record, ctx) => output | output[] | null`.
import type { Logger } from '../observability/logger.ts';

export interface TransformRecord<V = unknown> {
  /** The input key (string keys decoded as UTF-8; Avro keys decoded). */
  key: string | Buffer | null | unknown;
  /** The decoded input value (Avro resolved to the step's reader schema). */
  value: V;
  headers: Readonly<Record<string, string>>;
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

export interface TransformContext {
  /** pino child logger bound to step, topic, partition and offset. */
  log: Logger;
  step: string;
  /** 1 on first processing; 2, 3, … on retry tiers. */
  attempt: number;
  /** W3C trace context of the record: this step's span of its `traceparent` header's trace, or a trace started on first use. */
  trace: { traceparent: string; traceId: string; spanId: string };
  /** Aborted when the step's per-record timeout expires. */
  signal: AbortSignal;
}

export interface OutputRecord<V = unknown> {
  value: V;
  /** One of the step's declared outputs; default: the first. */
  topic?: string;
  /** Overrides the topology's key rule for this record. */
  key?: string | Buffer | null;
  headers?: Record<string, string>;
}

export type TransformResult<V = unknown> = OutputRecord<V> | OutputRecord<V>[] | null | undefined;

export type Transform<In = unknown, Out = unknown> = (
  record: TransformRecord<In>,
  ctx: TransformContext,
) => Promise<TransformResult<Out>> | TransformResult<Out>;

/** Throw to retry the record through the step's retry tiers (timeouts and 5xx retry anyway). */
export class RetryableError extends Error {
  override name = 'RetryableError';
}

/** Throw to send the record straight to the DLQ: retrying cannot help. */
export class NonRetryableError extends Error {
  override name = 'NonRetryableError';
}
