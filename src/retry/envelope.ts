// The headers a failed record carries through the retry tiers into the DLQ. The record's own key,
// value and headers are kept byte for byte; weir's headers are replaced on every hop (never
// appended), so their number and size stay bounded however often a record fails.
import { createHash } from 'node:crypto';
import { redactText } from '../config/redact.ts';
import { NO_HEADERS, type Header, type InboundRecord } from '../kafka/types.ts';

export const RETRY_HEADERS = {
  originTopic: 'weir.origin.topic',
  originPartition: 'weir.origin.partition',
  originOffset: 'weir.origin.offset',
  originTimestamp: 'weir.origin.timestamp',
  step: 'weir.step',
  group: 'weir.group',
  attempt: 'weir.attempt',
  firstFailure: 'weir.failure.first',
  lastFailure: 'weir.failure.last',
  errorClass: 'weir.error.class',
  errorMessage: 'weir.error.message',
  stackHash: 'weir.error.stack.hash',
  due: 'weir.due',
  /** Set on a record that follows its key's head through the chain without having failed itself. */
  follows: 'weir.follows',
  redriven: 'weir.redrive.count',
} as const;

const WEIR_RETRY_KEYS = new Set<string>(Object.values(RETRY_HEADERS));
export const MAX_MESSAGE_LENGTH = 500;

export interface Origin {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

export interface Envelope {
  origin: Origin;
  /** The attempt the record is on (1 = first processing). */
  attempt: number;
  firstFailure?: number;
  lastFailure?: number;
  errorClass?: string;
  errorMessage?: string;
  due?: number;
  redriveCount: number;
}

function get(headers: readonly Header[], key: string): string | undefined {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i]!.key === key) return headers[i]!.value.toString('utf8');
  return undefined;
}

const num = (s: string | undefined) => (s === undefined || s === '' || Number.isNaN(Number(s)) ? undefined : Number(s));

function hasWeirHeader(headers: readonly Header[]): boolean {
  for (let i = 0; i < headers.length; i++) if (headers[i]!.key.startsWith('weir.')) return true;
  return false;
}

/** The record's envelope: from weir's headers when it is in the chain, else its own coordinates. */
export function readEnvelope(record: InboundRecord): Envelope {
  const h = record.headers;
  if (!hasWeirHeader(h)) {
    return {
      origin: { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp },
      attempt: 1,
      redriveCount: 0,
    };
  }
  const topic = get(h, RETRY_HEADERS.originTopic);
  const origin: Origin =
    topic !== undefined
      ? {
          topic,
          partition: num(get(h, RETRY_HEADERS.originPartition)) ?? record.partition,
          offset: num(get(h, RETRY_HEADERS.originOffset)) ?? -1,
          timestamp: num(get(h, RETRY_HEADERS.originTimestamp)) ?? record.timestamp,
        }
      : { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp };
  const env: Envelope = {
    origin,
    attempt: num(get(h, RETRY_HEADERS.attempt)) ?? 1,
    redriveCount: num(get(h, RETRY_HEADERS.redriven)) ?? 0,
  };
  const first = num(get(h, RETRY_HEADERS.firstFailure));
  const last = num(get(h, RETRY_HEADERS.lastFailure));
  const due = num(get(h, RETRY_HEADERS.due));
  const errorClass = get(h, RETRY_HEADERS.errorClass);
  const errorMessage = get(h, RETRY_HEADERS.errorMessage);
  if (first !== undefined) env.firstFailure = first;
  if (last !== undefined) env.lastFailure = last;
  if (due !== undefined) env.due = due;
  if (errorClass !== undefined) env.errorClass = errorClass;
  if (errorMessage !== undefined) env.errorMessage = errorMessage;
  return env;
}

export function stackHash(stack: string): string {
  // Frames without line/column numbers: the same bug in a rebuilt file hashes the same.
  const frames = stack
    .split('\n')
    .filter((l) => l.trim().startsWith('at '))
    .map((l) => l.replace(/:\d+:\d+\)?$/, '').trim());
  return createHash('sha1').update(frames.join('\n')).digest('hex').slice(0, 12);
}

/** Headers without weir's retry headers: what the record carried when it entered the chain. */
export function originalHeaders(headers: readonly Header[]): Header[] {
  return headers.length === 0 ? NO_HEADERS : headers.filter((h) => !WEIR_RETRY_KEYS.has(h.key));
}

export interface FailureInfo {
  step: string;
  group: string;
  /** The attempt the record will be on when it is next processed (tiers), or the last one made (DLQ). */
  attempt: number;
  errorClass: string;
  message: string;
  stack: string;
  now: number;
  due?: number;
}

/** Headers of a record moving through the chain without a (new) failure: origin, attempt, due. */
export function withRetryHeaders(
  record: InboundRecord,
  env: Envelope,
  f: { step: string; group: string; attempt: number; due: number; follows?: boolean },
): Header[] {
  const keep = record.headers.filter(
    (h) =>
      h.key !== RETRY_HEADERS.due &&
      h.key !== RETRY_HEADERS.attempt &&
      h.key !== RETRY_HEADERS.follows &&
      !h.key.startsWith('weir.origin.'),
  );
  const set: Record<string, string> = {
    [RETRY_HEADERS.originTopic]: env.origin.topic,
    [RETRY_HEADERS.originPartition]: String(env.origin.partition),
    [RETRY_HEADERS.originOffset]: String(env.origin.offset),
    [RETRY_HEADERS.originTimestamp]: String(env.origin.timestamp),
    [RETRY_HEADERS.step]: f.step,
    [RETRY_HEADERS.group]: f.group,
    [RETRY_HEADERS.attempt]: String(f.attempt),
    [RETRY_HEADERS.due]: String(f.due),
    ...(f.follows ? { [RETRY_HEADERS.follows]: '1' } : {}),
  };
  return [...keep.filter((h) => !(h.key in set)), ...Object.entries(set).map(([key, v]) => ({ key, value: Buffer.from(v, 'utf8') }))];
}

export function failureHeaders(record: InboundRecord, env: Envelope, f: FailureInfo): Header[] {
  // Kept for the DLQ's retention and printed by `weir dlq`: no secret of this process in it.
  const message = redactText(f.message);
  const weir: Record<string, string> = {
    [RETRY_HEADERS.originTopic]: env.origin.topic,
    [RETRY_HEADERS.originPartition]: String(env.origin.partition),
    [RETRY_HEADERS.originOffset]: String(env.origin.offset),
    [RETRY_HEADERS.originTimestamp]: String(env.origin.timestamp),
    [RETRY_HEADERS.step]: f.step,
    [RETRY_HEADERS.group]: f.group,
    [RETRY_HEADERS.attempt]: String(f.attempt),
    [RETRY_HEADERS.firstFailure]: String(env.firstFailure ?? f.now),
    [RETRY_HEADERS.lastFailure]: String(f.now),
    [RETRY_HEADERS.errorClass]: f.errorClass,
    [RETRY_HEADERS.errorMessage]: message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : message,
    [RETRY_HEADERS.stackHash]: stackHash(f.stack),
  };
  if (f.due !== undefined) weir[RETRY_HEADERS.due] = String(f.due);
  if (env.redriveCount > 0) weir[RETRY_HEADERS.redriven] = String(env.redriveCount);
  return [...originalHeaders(record.headers), ...Object.entries(weir).map(([key, v]) => ({ key, value: Buffer.from(v, 'utf8') }))];
}
