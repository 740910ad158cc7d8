// Keyed test events (unique id, per-key sequence number), their Avro encoding, and the checks the
// exactly-once tests share: no loss, no duplicates, per-key order.
import { parseAvroSchema, type AvroSchemaFile } from '../../src/schema/avro.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { AvroSerde, encodeAvro } from '../../src/schema/serde.ts';
import { readFileSync } from 'node:fs';
import type { InboundRecord, OutboundRecord } from '../../src/kafka/types.ts';
import { services } from './services.ts';

export interface Event {
  id: string;
  key: string;
  seq: number;
  payload: string;
}

export const EVENT_SCHEMA: AvroSchemaFile = parseAvroSchema(
  readFileSync(new URL('../fixtures/project/schemas/Event.avsc', import.meta.url), 'utf8'),
  'Event.avsc',
);

export function makeEvents(n: number, keys: number, prefix = 'e'): Event[] {
  const seqs = new Map<string, number>();
  return Array.from({ length: n }, (_, i) => {
    const key = `k${i % keys}`;
    const seq = (seqs.get(key) ?? 0) + 1;
    seqs.set(key, seq);
    return { id: `${prefix}${i}`, key, seq, payload: '' };
  });
}

/** A compatible next version of the Event schema (an optional field), as a producer's upgrade brings. */
export const EVENT_SCHEMA_V2: AvroSchemaFile = parseAvroSchema(
  JSON.stringify({
    ...(JSON.parse(EVENT_SCHEMA.text) as Record<string, unknown>),
    fields: [
      ...(JSON.parse(EVENT_SCHEMA.text) as { fields: unknown[] }).fields,
      { name: 'origin', type: ['null', 'string'], default: null },
    ],
  }),
  'EventV2.avsc',
);

/**
 * Avro records for `topic` under its registered `<topic>-value` schema id; with `v2From`, events
 * from that index on are written with EVENT_SCHEMA_V2, registered here as the subject's next version.
 */
export async function eventRecords(
  topic: string,
  events: Event[],
  registryUrl = services().SCHEMA_REGISTRY_URL,
  v2From = Infinity,
): Promise<OutboundRecord[]> {
  const registry = new RegistryClient(registryUrl);
  const found = await registry.lookup(`${topic}-value`, EVENT_SCHEMA.text);
  if (!found) throw new Error(`Event schema not registered for ${topic}`);
  const v2 = v2From < events.length ? await registry.register(`${topic}-value`, EVENT_SCHEMA_V2.text) : 0;
  return events.map((e, i) => ({
    topic,
    key: e.key,
    value:
      i < v2From ? encodeAvro(EVENT_SCHEMA.type, found.id, e, `${topic}-value`) : encodeAvro(EVENT_SCHEMA_V2.type, v2, e, `${topic}-value`),
  }));
}

export async function decodeEvents(
  records: InboundRecord[],
  registryUrl = services().SCHEMA_REGISTRY_URL,
): Promise<Array<Event & { eventId?: string; partition: number; offset: number }>> {
  const serde = new AvroSerde(new RegistryClient(registryUrl));
  await serde.prepare(records.map((r) => r.value));
  return records.map((r) => ({
    ...(serde.decode(r.value, EVENT_SCHEMA.type) as Event),
    eventId: r.headers.find((h) => h.key === 'weir.event.id')?.value.toString(),
    partition: r.partition,
    offset: r.offset,
  }));
}

export interface Verdict {
  missing: string[];
  duplicates: string[];
  duplicateEventIds: string[];
  orderViolations: string[];
}

/** Every expected id exactly once; per key, sequence numbers increase in log order. */
export function verifyOutput(output: Array<Event & { eventId?: string; partition: number; offset: number }>, expected: Event[]): Verdict {
  const count = new Map<string, number>();
  for (const o of output) count.set(o.id, (count.get(o.id) ?? 0) + 1);
  const eventIds = new Map<string, number>();
  for (const o of output) if (o.eventId) eventIds.set(o.eventId, (eventIds.get(o.eventId) ?? 0) + 1);
  const lastSeq = new Map<string, number>();
  const orderViolations: string[] = [];
  for (const o of [...output].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    const prev = lastSeq.get(o.key) ?? 0;
    if (o.seq <= prev) orderViolations.push(`${o.key}: seq ${o.seq} after ${prev}`);
    lastSeq.set(o.key, Math.max(prev, o.seq));
  }
  return {
    missing: expected.filter((e) => !count.has(e.id)).map((e) => e.id),
    duplicates: [...count].filter(([, n]) => n > 1).map(([id]) => id),
    duplicateEventIds: [...eventIds].filter(([, n]) => n > 1).map(([id]) => id),
    orderViolations,
  };
}

export const CLEAN: Verdict = { missing: [], duplicates: [], duplicateEventIds: [], orderViolations: [] };
