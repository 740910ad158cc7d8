// The fault suite's workload: the example's shape (a transform with a retry chain and a DLQ, its
// output stored in Postgres and delivered over rate-limited HTTP), fed keyed Avro events with
// unique ids and per-key sequence numbers, a share of poison pills and flaky records (decided by
// `chaosRule`), and undecodable records whose bytes must reach the DLQ intact.
import { randomBytes } from 'node:crypto';
import { chaosRule } from '../fixtures/project/transforms/events.ts';
import { eventRecords, makeEvents, type Event } from '../helpers/events.ts';
import type { OutboundRecord } from '../../src/kafka/types.ts';

export { chaosRule };

export const PARTITIONS = 6;
export const RATE_LIMIT_PER_SECOND = 1_000;

export const faultTopology = (httpUrl: string) => (id: string) => `pipeline: f${id}
topics:
  in.${id}:
    partitions: ${PARTITIONS}
    value: schemas/Event.avsc
  out.${id}:
    partitions: ${PARTITIONS}
    value: schemas/Event.avsc
steps:
  process-${id}:
    input: in.${id}
    transform: transforms/events.ts#chaos
    outputs: [out.${id}]
    batch: { records: 200, time: 50ms }
    retry: { delays: [1s, 3s], preserveKeyOrder: true }
  store-${id}:
    input: out.${id}
    sink:
      postgres:
        table: t_${id}
        key: [id]
        mode: upsert
        columns:
          id: id
          k: key
          seq: seq
          payload: payload
          event_id: $eventId
          src_partition: $partition
          src_offset: $offset
    batch: { records: 500, time: 100ms }
    retry: { delays: [1s] }
  notify-${id}:
    input: out.${id}
    sink:
      http:
        url: ${httpUrl}
        timeout: 5s
    rateLimit: { perSecond: ${RATE_LIMIT_PER_SECOND}, burst: ${RATE_LIMIT_PER_SECOND}, scope: redis }
    batch: { records: 200, time: 100ms }
    retry: { delays: [1s] }
`;

/** A trigger logs every application of a row: an upsert applied twice would log twice. */
export const applicationLog = (id: string) => [
  `CREATE TABLE applied_${id} (event_id text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  `CREATE FUNCTION log_${id}() RETURNS trigger AS $$ BEGIN INSERT INTO applied_${id} (event_id) VALUES (NEW.id); RETURN NEW; END $$ LANGUAGE plpgsql`,
  `CREATE TRIGGER applied AFTER INSERT OR UPDATE ON t_${id} FOR EACH ROW EXECUTE FUNCTION log_${id}()`,
];

export interface Workload {
  events: Event[];
  /** Events the transform must deliver (all but the poison pills). */
  delivered: Event[];
  poison: Event[];
  flaky: Event[];
  /** Undecodable values (not in the Confluent wire format), by their key. */
  garbage: Map<string, Buffer>;
  records: OutboundRecord[];
}

/** `n` events on `keys` keys, with one undecodable record per 500, interleaved in production order. */
export async function buildWorkload(topic: string, n: number, keys: number, registryUrl: string, v2From?: number): Promise<Workload> {
  const events = makeEvents(n, keys);
  const encoded = await eventRecords(topic, events, registryUrl, v2From);
  const garbage = new Map<string, Buffer>();
  const records: OutboundRecord[] = [];
  encoded.forEach((r, i) => {
    records.push(r);
    if (i % 500 === 250) {
      const key = `garbage-${i}`;
      const value = Buffer.concat([Buffer.from([0x7f]), randomBytes(24)]);
      garbage.set(key, value);
      records.push({ topic, key, value });
    }
  });
  return {
    events,
    delivered: events.filter((e) => chaosRule(e.id) !== 'poison'),
    poison: events.filter((e) => chaosRule(e.id) === 'poison'),
    flaky: events.filter((e) => chaosRule(e.id) === 'flaky'),
    garbage,
    records,
  };
}
