// The `normalize` step of topology/__NAME__.yaml: checks an event and writes its amount in cents as a
// decimal string. Throwing ValidationError sends the record straight to the DLQ (the step lists it in
// retry.dlqOn); any other error — a timeout, a service that is down — is retried through the step's
// retry tiers, then parked in the DLQ. `npx weir dlq show --step normalize` shows what is there.
import { NonRetryableError, type Transform } from 'weir';

/** A value of __NAME__.events (schemas/__NAME__/Event.avsc), as weir decodes it. */
export interface Event {
  id: string;
  account: string;
  amountCents: number;
  currency: 'EUR' | 'USD' | 'GBP';
  /** Milliseconds since the epoch. */
  occurredAt: number;
}

/** A value of __NAME__.normalized (schemas/__NAME__/NormalizedEvent.avsc). */
export interface NormalizedEvent {
  id: string;
  account: string;
  /** Decimal with two places, e.g. "12.05". */
  amount: string;
  currency: Event['currency'];
  occurredAt: number;
  normalizedAt: number;
}

/** An event that can never succeed: it goes to the DLQ with ValidationError as its error class. */
export class ValidationError extends NonRetryableError {
  override name = 'ValidationError';
}

/** Cents as a decimal string, without floating-point rounding: 1205 → "12.05". */
function decimal(cents: number): string {
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export const normalize: Transform<Event, NormalizedEvent> = (record) => {
  const event = record.value;
  if (event.account.trim() === '') throw new ValidationError(`event ${event.id} has no account`);
  if (event.amountCents < 0) throw new ValidationError(`event ${event.id} has a negative amount: ${event.amountCents}`);
  return {
    value: {
      id: event.id,
      account: event.account,
      amount: decimal(event.amountCents),
      currency: event.currency,
      occurredAt: event.occurredAt,
      // Taken from the input record, not the clock: a replay produces the same output.
      normalizedAt: record.timestamp,
    },
  };
};
