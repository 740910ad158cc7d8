// Avro serde (encode and decode of the example's OrderEnriched, in the Confluent wire format) vs
// JSON.stringify / JSON.parse of the same object, in one run.
import { readFileSync } from 'node:fs';
import { parseAvroSchema } from '../src/schema/avro.ts';
import type { RegistryClient } from '../src/schema/registry.ts';
import { AvroSerde, encodeAvro } from '../src/schema/serde.ts';
import { fmt, opsPerSecond, type SuiteResult } from './report.ts';

export async function serdeSuite(n = 300_000): Promise<SuiteResult> {
  const file = parseAvroSchema(
    readFileSync(new URL('../schemas/orders/OrderEnriched.avsc', import.meta.url), 'utf8'),
    'OrderEnriched.avsc',
  );
  const oldReader = parseAvroSchema(
    JSON.stringify({
      ...(file.json as object),
      fields: (file.json as { fields: Array<{ name: string }> }).fields.filter((f) => f.name !== 'note' && f.name !== 'skus'),
    }),
    'reader',
  ).type;
  const value = {
    orderId: 'ord-7f3a9c21',
    customerId: 'cust-00421',
    seq: 1842,
    revision: 1,
    itemCount: 3,
    total: '249.97',
    currency: 'EUR',
    customerTier: 'GOLD',
    country: 'DE',
    skus: ['SKU-1001', 'SKU-2040', 'SKU-3310'],
    note: null,
    createdAt: 1_795_380_000_000,
    enrichedAt: 1_795_380_000_123,
  };
  // A registry stub that knows one id: serde speed, not network, is measured here.
  const registry = { schemaById: async () => file.text } as unknown as RegistryClient;
  const serde = new AvroSerde(registry);
  const avroBytes = encodeAvro(file.type, 1, value, 'orders.enriched-value');
  const jsonBytes = Buffer.from(JSON.stringify(value));
  await serde.prepare([avroBytes]);

  const encAvro = opsPerSecond(n, () => encodeAvro(file.type, 1, value, 'orders.enriched-value'));
  const encJson = opsPerSecond(n, () => Buffer.from(JSON.stringify(value)));
  const decAvro = opsPerSecond(n, () => serde.decode(avroBytes, file.type));
  const decAvroResolved = opsPerSecond(n, () => serde.decode(avroBytes, oldReader));
  const decJson = opsPerSecond(n, () => JSON.parse(jsonBytes.toString('utf8')));
  const data = {
    records: n,
    encode: { avro: encAvro, json: encJson },
    decode: { avro: decAvro, avroResolved: decAvroResolved, json: decJson },
    bytes: { avro: avroBytes.length, json: jsonBytes.length },
  };
  const markdown = `Avro (Confluent wire format, avsc, decimal as exact string) vs JSON for the example's \`OrderEnriched\`, ${n.toLocaleString('en-US')} records per measurement, one process.

| | Avro / JSON |
|---|---|
| encode speed | ${(encAvro / encJson).toFixed(2)} × |
| decode speed (same schema) | ${(decAvro / decJson).toFixed(2)} × |
| decode speed (resolved to an older reader schema) | ${(decAvroResolved / decJson).toFixed(2)} × |
| record size | ${(avroBytes.length / jsonBytes.length).toFixed(2)} × (${avroBytes.length} B vs ${jsonBytes.length} B) |

| records/s | Avro | JSON |
|---|---|---|
| encode | ${fmt(encAvro)} | ${fmt(encJson)} |
| decode | ${fmt(decAvro)} (resolved: ${fmt(decAvroResolved)}) | ${fmt(decJson)} |
`;
  return { suite: 'serde', title: 'Avro serde vs JSON', markdown, data };
}
