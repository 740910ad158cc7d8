// A step's DLQ as operators see it: each record with its failure envelope, and whether it was
// already redriven or purged (the compacted `<input>.<step>.dlq.handled` ledger).
import type { KafkaConnection } from '../../kafka/client-config.ts';
import { readToEnd } from '../../kafka/reader.ts';
import type { InboundRecord } from '../../kafka/types.ts';
import { readEnvelope, RETRY_HEADERS, type Envelope } from '../../retry/envelope.ts';
import type { PlannedStep } from '../../topology/plan.ts';

export interface Handled {
  action: 'redriven' | 'purged';
  at: string;
  by: string;
  target?: string;
}

export interface DlqEntry {
  record: InboundRecord;
  envelope: Envelope;
  errorClass: string;
  errorMessage: string;
  handled?: Handled;
}

export interface DlqFilter {
  key?: string;
  /** Entered the DLQ at or after (epoch ms). */
  since?: number;
  until?: number;
  errorClass?: string;
  /** Substring of the error message. */
  message?: string;
}

export const ledgerKey = (r: { partition: number; offset: number }) => `${r.partition}:${r.offset}`;

const header = (r: InboundRecord, key: string) => r.headers.find((h) => h.key === key)?.value.toString('utf8');

export async function readDlq(kafka: KafkaConnection, step: PlannedStep): Promise<DlqEntry[]> {
  const handled = new Map<string, Handled | null>();
  await readToEnd(kafka, [step.retry.dlqHandled], {
    onRecord: (r) => handled.set(r.key?.toString() ?? '', r.value ? (JSON.parse(r.value.toString()) as Handled) : null),
  });
  const records = await readToEnd(kafka, [step.retry.dlq]);
  return records.map((record) => {
    const h = handled.get(ledgerKey(record));
    return {
      record,
      envelope: readEnvelope(record),
      errorClass: header(record, RETRY_HEADERS.errorClass) ?? 'unknown',
      errorMessage: header(record, RETRY_HEADERS.errorMessage) ?? '',
      ...(h ? { handled: h } : {}),
    };
  });
}

export function matches(e: DlqEntry, f: DlqFilter): boolean {
  if (f.key !== undefined && e.record.key?.toString('utf8') !== f.key) return false;
  if (f.since !== undefined && e.record.timestamp < f.since) return false;
  if (f.until !== undefined && e.record.timestamp > f.until) return false;
  if (f.errorClass !== undefined && e.errorClass !== f.errorClass) return false;
  if (f.message !== undefined && !e.errorMessage.includes(f.message)) return false;
  return true;
}

export const pending = (entries: DlqEntry[], f: DlqFilter = {}) => entries.filter((e) => !e.handled && matches(e, f));

/** Messages with their numbers and ids blurred, so that "order 17 failed" and "order 18 failed" group. */
export function messageShape(message: string): string {
  return message
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/gi, '<uuid>')
    .replace(/\b[0-9a-f]*\d[0-9a-f]*\b/gi, '#')
    .slice(0, 120);
}

export interface DlqStats {
  step: string;
  topic: string;
  depth: number;
  handled: number;
  oldestAgeMs: number | null;
  byError: Array<{ errorClass: string; message: string; count: number }>;
}

export function dlqStats(step: PlannedStep, entries: DlqEntry[], now = Date.now()): DlqStats {
  const open = pending(entries);
  const groups = new Map<string, { errorClass: string; message: string; count: number }>();
  for (const e of open) {
    const message = messageShape(e.errorMessage);
    const k = `${e.errorClass}\u0000${message}`;
    const g = groups.get(k) ?? { errorClass: e.errorClass, message, count: 0 };
    g.count++;
    groups.set(k, g);
  }
  const oldest = open.reduce<number | null>((m, e) => (m === null || e.record.timestamp < m ? e.record.timestamp : m), null);
  return {
    step: step.name,
    topic: step.retry.dlq,
    depth: open.length,
    handled: entries.length - open.length,
    oldestAgeMs: oldest === null ? null : now - oldest,
    byError: [...groups.values()].sort((a, b) => b.count - a.count || a.errorClass.localeCompare(b.errorClass)),
  };
}
