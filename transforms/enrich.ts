// Example transform of topology/orders.yaml: computes an order's total, looks up the customer's
// tier and drops nothing. Invalid orders go straight to the DLQ (ValidationError is declared in
// the step's retry.dlqOn); a flaky lookup would be retried by throwing RetryableError.
import { RetryableError, type Transform } from '../src/runtime/api.ts';

interface LineItem {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

interface OrderCreated {
  orderId: string;
  customerId: string;
  seq: number;
  revision: number;
  items: LineItem[];
  currency: 'EUR' | 'USD' | 'GBP';
  country: string;
  createdAt: number;
}

interface OrderEnriched {
  orderId: string;
  customerId: string;
  seq: number;
  revision: number;
  itemCount: number;
  /** Decimal(12,2) as a string. */
  total: string;
  currency: OrderCreated['currency'];
  customerTier: 'STANDARD' | 'GOLD' | 'PLATINUM';
  country: string;
  skus: string[];
  note: string | null;
  createdAt: number;
  enrichedAt: number;
}

export class ValidationError extends Error {
  override name = 'ValidationError';
}

/** Stand-in for a customer service: a stable tier per customer id. */
function tierOf(customerId: string): OrderEnriched['customerTier'] {
  let h = 0;
  for (const c of customerId) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 10 === 0 ? 'PLATINUM' : h % 4 === 0 ? 'GOLD' : 'STANDARD';
}

/** A stable pseudo-random number 0–99 per order (the demo's flaky lookups pick orders by it). */
export function bucket(id: string): number {
  let h = 7;
  for (const c of id) h = (h * 33 + c.charCodeAt(0)) >>> 0;
  return h % 100;
}

const blocked = new Set((process.env.ENRICH_BLOCKED_CUSTOMERS ?? '').split(',').filter(Boolean));

export const enrich: Transform<OrderCreated, OrderEnriched> = (record, ctx) => {
  const order = record.value;
  if (order.items.length === 0) throw new ValidationError(`order ${order.orderId} has no items`);
  // ENRICH_BLOCKED_CUSTOMERS (comma-separated ids) stands in for a rule that is lifted later: their
  // orders go to the DLQ, and once the worker runs without the block a redrive brings them through.
  if (blocked.has(order.customerId)) throw new ValidationError(`customer ${order.customerId} is blocked`);
  // The demo sets ENRICH_FLAKY_PERCENT to simulate a customer service that times out now and then:
  // the first attempt of those orders fails and the retry tier brings them through.
  if (ctx.attempt === 1 && bucket(order.orderId) < Number(process.env.ENRICH_FLAKY_PERCENT ?? 0)) {
    throw new RetryableError(`customer service timed out looking up ${order.customerId}`);
  }
  const cents = order.items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);
  return {
    value: {
      orderId: order.orderId,
      customerId: order.customerId,
      seq: order.seq,
      revision: order.revision,
      itemCount: order.items.length,
      total: (cents / 100).toFixed(2),
      currency: order.currency,
      customerTier: tierOf(order.customerId),
      country: order.country,
      skus: order.items.map((i) => i.sku),
      note: cents > 1_000_000 ? 'high value' : null,
      createdAt: order.createdAt,
      // Deterministic: derived from the input, so a replay produces the same output.
      enrichedAt: record.timestamp,
    },
  };
};
