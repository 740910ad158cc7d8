// Realistic orders for the demo: customers ordering a few items each, with per-customer sequence
// numbers, some invalid orders (no items) and some poison pills (bytes that are not Avro at all).
import type { OutboundRecord } from '../../src/kafka/types.ts';
import type { AvroSchemaFile } from '../../src/schema/avro.ts';
import { encodeAvro } from '../../src/schema/serde.ts';

const SKUS = ['SKU-1001', 'SKU-1002', 'SKU-2040', 'SKU-2041', 'SKU-3310', 'SKU-3311', 'SKU-4100', 'SKU-5005'];
const COUNTRIES = ['DE', 'FR', 'NL', 'ES', 'IT', 'PL', 'SE', 'GB'];
const CURRENCY: Record<string, string> = { GB: 'GBP', SE: 'EUR', PL: 'EUR' };

export interface DemoOrders {
  records: OutboundRecord[];
  valid: string[];
  invalid: string[];
  poison: number;
}

/** Deterministic: the same seed gives the same orders. */
export function demoOrders(
  topic: string,
  schema: AvroSchemaFile,
  schemaId: number,
  n: number,
  opts: { customers: number; invalidEvery: number; poisonEvery: number; seed: number },
): DemoOrders {
  let s = opts.seed >>> 0;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const seq = new Map<string, number>();
  const out: DemoOrders = { records: [], valid: [], invalid: [], poison: 0 };
  const start = Date.now();
  for (let i = 0; i < n; i++) {
    const customerId = `cust-${String(Math.floor(rnd() * opts.customers)).padStart(5, '0')}`;
    if (opts.poisonEvery && i % opts.poisonEvery === opts.poisonEvery - 1) {
      out.records.push({
        topic,
        key: customerId,
        value: Buffer.from(`{"orderId":"legacy-${i}","note":"written by the old JSON producer"}`),
      });
      out.poison++;
      continue;
    }
    const orderId = `ord-${opts.seed}-${String(i).padStart(6, '0')}`;
    const invalid = opts.invalidEvery > 0 && i % opts.invalidEvery === 0;
    const items = invalid
      ? []
      : Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ({
          sku: SKUS[Math.floor(rnd() * SKUS.length)]!,
          quantity: 1 + Math.floor(rnd() * 3),
          unitPriceCents: 299 + Math.floor(rnd() * 20_000),
        }));
    const country = COUNTRIES[Math.floor(rnd() * COUNTRIES.length)]!;
    const next = (seq.get(customerId) ?? 0) + 1;
    seq.set(customerId, next);
    const value = {
      orderId,
      customerId,
      seq: next,
      revision: 1,
      items,
      currency: CURRENCY[country] ?? 'EUR',
      country,
      createdAt: start + i,
    };
    out.records.push({ topic, key: customerId, value: encodeAvro(schema.type, schemaId, value, `${topic}-value`) });
    (invalid ? out.invalid : out.valid).push(orderId);
  }
  return out;
}
