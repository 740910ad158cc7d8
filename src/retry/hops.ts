// Where a failed record goes next: the next retry tier (same partition, due after the tier's
// delay) or the step's DLQ. Produced in the same transaction as the input's offset.
// The hop is stamped now (so tier retention counts from the hop); the original time is a header.
import type { InboundRecord, OutboundRecord } from '../kafka/types.ts';
import type { PlannedStep } from '../topology/plan.ts';
import type { Classified } from './classify.ts';
import { failureHeaders, withRetryHeaders, type Envelope } from './envelope.ts';

export interface Hop {
  target: 'tier' | 'dlq';
  /** Tier index (0-based) for tier hops. */
  tier?: number;
  record: OutboundRecord;
}

export function hopFor(step: PlannedStep, raw: InboundRecord, envelope: Envelope, failure: Classified, now: number): Hop {
  const attempt = envelope.attempt;
  const tierIndex = attempt - 1;
  const toTier = failure.disposition === 'retry' && tierIndex < step.retry.tiers.length;
  const base = { step: step.name, group: step.group, errorClass: failure.errorClass, message: failure.message, stack: failure.stack, now };
  if (toTier) {
    const tier = step.retry.tiers[tierIndex]!;
    const due = now + Math.max(tier.delayMs, failure.retryAfterMs ?? 0);
    const headers = failureHeaders(raw, envelope, { ...base, attempt: attempt + 1, due });
    return {
      target: 'tier',
      tier: tierIndex,
      record: { topic: tier.topic, partition: raw.partition, key: raw.key, value: raw.value, headers },
    };
  }
  const headers = failureHeaders(raw, envelope, { ...base, attempt });
  return { target: 'dlq', record: { topic: step.retry.dlq, partition: raw.partition, key: raw.key, value: raw.value, headers } };
}

/** A record that follows its key's head into the chain: unchanged, not attempted, due at once. */
export function followRecord(step: PlannedStep, raw: InboundRecord, envelope: Envelope, tier: number, now: number): OutboundRecord {
  const headers = withRetryHeaders(raw, envelope, {
    step: step.name,
    group: step.group,
    attempt: envelope.attempt,
    due: now,
    follows: true,
  });
  return { topic: step.retry.tiers[tier]!.topic, partition: raw.partition, key: raw.key, value: raw.value, headers };
}
