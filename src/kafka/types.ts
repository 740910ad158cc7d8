// Record shapes at the Kafka boundary, independent of the client library's own types.

export interface Header {
  key: string;
  value: Buffer;
}

/** An outgoing header: a string value goes to the client as it is (no Buffer per record on the hot path). */
export interface OutboundHeader {
  key: string;
  value: Buffer | string;
}

/** Shared by every inbound record without headers (most of them): never mutated. */
export const NO_HEADERS: Header[] = Object.freeze([]) as unknown as Header[];

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** For committed/next positions: the offset of the next record to read. */
  offset: number;
}

export interface InboundRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
  timestamp: number;
  /** Approximate payload size in bytes (key + value), used for byte bounds. */
  size: number;
}

export interface OutboundRecord {
  topic: string;
  partition?: number;
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: OutboundHeader[];
  timestamp?: number;
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted';

export const tpKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

export function headerValue(headers: readonly Header[], key: string): Buffer | undefined {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i]!.key === key) return headers[i]!.value;
  return undefined;
}

/** Replaces (never appends) the named headers, keeping the others in order. */
export function withHeaders(headers: readonly Header[], replace: Record<string, string | Buffer>): Header[] {
  const names = new Set(Object.keys(replace));
  const kept = headers.filter((h) => !names.has(h.key));
  for (const [key, v] of Object.entries(replace)) kept.push({ key, value: Buffer.isBuffer(v) ? v : Buffer.from(v) });
  return kept;
}
