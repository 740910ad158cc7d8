// Operators' actions (DLQ redrive and purge, replays) are recorded in the `weir.audit` topic:
// who, from which host, when, what. The record is written in the same transaction as the action
// (claim.ts).
import { hostname, userInfo } from 'node:os';
import { redactText } from '../config/redact.ts';
import type { OutboundRecord } from '../kafka/types.ts';
import { AUDIT_TOPIC } from '../topology/naming.ts';

export interface AuditEntry {
  action: string;
  step: string;
  details: Record<string, unknown>;
}

export function operator(): string {
  if (process.env.WEIR_OPERATOR) return process.env.WEIR_OPERATOR;
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

export function auditRecord(entry: AuditEntry): OutboundRecord {
  const value = { ...entry, by: operator(), host: hostname(), at: new Date().toISOString() };
  return { topic: AUDIT_TOPIC, key: `${entry.action}:${entry.step}`, value: Buffer.from(redactText(JSON.stringify(value))) };
}
