// Tombstones (null values) in a Postgres sink on the real stack: `delete` removes the row of the
// record key in the batch's transaction, once, also when a commit's answer is lost and the batch is
// redone; `ignore` leaves the row; `dlq` (the default) sends the tombstone to the DLQ, key bytes intact.
import { afterEach, describe, expect, it } from 'vitest';
import type { Running } from '../../src/cli/workers.ts';
import { query, startSteps } from '../helpers/steps.ts';
import type { OutboundRecord } from '../../src/kafka/types.ts';
import { eventRecords, makeEvents } from '../helpers/events.ts';
import { produceAll, readAll } from '../helpers/kafka.ts';
import { createPipeline, createSinkTables, type TestPipeline } from '../helpers/pipeline.ts';
import { services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';

let running: Running | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** JSON values `{ k, n }` keyed by k (a string key) into table t_<id>; `onTombstone` as given (none: the default). */
const topology = (onTombstone?: string) => (id: string) => `pipeline: tomb${id}
topics:
  in.${id}: { partitions: 1, key: string, value: json }
steps:
  store-${id}:
    input: in.${id}
    sink:
      postgres:
        table: t_${id}
        key: [k]
        columns: { k: k, n: { field: n, type: integer }, event_id: $eventId }
${onTombstone ? `        onTombstone: ${onTombstone}\n` : ''}    batch: { records: 50, time: 50ms }
    retry: { delays: [500ms] }
`;

async function start(p: TestPipeline, databaseUrl = services().DATABASE_URL) {
  running = await startSteps(p, 'weir-tombstone-test', { databaseUrl });
}

const upsert = (topic: string, k: string, n: number): OutboundRecord => ({ topic, key: k, value: Buffer.from(JSON.stringify({ k, n })) });
const tombstone = (topic: string, k: string | Buffer): OutboundRecord => ({ topic, key: k, value: null });

/** Waits until the sink's offsets in Postgres reach `end`: every record up to it is applied (or hopped). */
async function appliedUpTo(p: TestPipeline, end: number): Promise<void> {
  const step = p.plan.steps[0]!;
  await waitFor(
    async () =>
      (await query<{ n: string }>(`SELECT next_offset::text AS n FROM weir_offsets WHERE consumer_group = $1`, [step.group]))[0]?.n ===
      String(end),
    { timeoutMs: 90_000, what: `Postgres offsets at ${end}` },
  );
}

describe('postgres sink tombstones', { timeout: 180_000 }, () => {
  it('delete: each tombstone deletes its row once, in the batch transaction, across a commit whose answer was lost', async () => {
    const p = await createPipeline(topology('delete'));
    const keys = Array.from({ length: 250 }, (_, i) => `k${i}`);
    // Every row exists before the records arrive, so each tombstone has a row to delete; then a
    // trigger logs every application. A batch applied twice would delete a re-written row twice.
    await createSinkTables(p, [
      `INSERT INTO t_${p.id} (k, n, event_id) SELECT 'k' || i, 1, 'seed' FROM generate_series(0, 249) AS i`,
      `CREATE TABLE log_${p.id} (op text NOT NULL, k text NOT NULL)`,
      `CREATE FUNCTION log_${p.id}() RETURNS trigger AS $$ BEGIN INSERT INTO log_${p.id} VALUES (TG_OP, CASE WHEN TG_OP = 'DELETE' THEN OLD.k ELSE NEW.k END); RETURN NULL; END $$ LANGUAGE plpgsql`,
      `CREATE TRIGGER logged AFTER INSERT OR UPDATE OR DELETE ON t_${p.id} FOR EACH ROW EXECUTE FUNCTION log_${p.id}()`,
    ]);
    const topic = p.topic('in');
    // k0..k199: deleted, then written again (n = 2); k200..k249: deleted for good.
    const records = keys.flatMap((k, i) => (i < 200 ? [tombstone(topic, k), upsert(topic, k, 2)] : [tombstone(topic, k)]));
    await produceAll(records);
    const { PgProxy } = await import('../helpers/pg-proxy.ts');
    const proxy = await PgProxy.start(services().DATABASE_URL, 'lose-answer', 3);
    try {
      await start(p, proxy.url);
      await appliedUpTo(p, records.length);
      expect(proxy.struck).toBe(true);
    } finally {
      await running?.stop();
      running = undefined;
      await proxy.close();
    }
    const rows = await query<{ k: string; n: number }>(`SELECT k, n FROM t_${p.id} ORDER BY k`);
    expect(rows).toEqual(
      keys
        .slice(0, 200)
        .map((k) => ({ k, n: 2 }))
        .sort((a, b) => a.k.localeCompare(b.k)),
    );
    const log = await query<{ op: string; n: string; distinct: string }>(
      `SELECT op, count(*) AS n, count(DISTINCT k) AS distinct FROM log_${p.id} GROUP BY op ORDER BY op`,
    );
    expect(log).toEqual([
      { op: 'DELETE', n: '250', distinct: '250' },
      { op: 'INSERT', n: '200', distinct: '200' },
    ]);
    expect(await readAll(p.plan.steps[0]!.retry.dlq)).toEqual([]);
  });

  it('delete on an Avro-valued input: the tombstone reaches the sink (not the DLQ as undecodable) and deletes its row', async () => {
    const p = await createPipeline(
      (id) => `pipeline: tomb${id}
topics:
  in.${id}: { partitions: 1, key: string, value: schemas/Event.avsc }
steps:
  store-${id}:
    input: in.${id}
    sink:
      postgres:
        table: t_${id}
        key: [k]
        columns: { k: $key, id: id, seq: seq }
        onTombstone: delete
    batch: { records: 50, time: 50ms }
    retry: { delays: [500ms] }
`,
    );
    await createSinkTables(p);
    const topic = p.topic('in');
    await produceAll([...(await eventRecords(topic, makeEvents(6, 3))), tombstone(topic, 'k0'), tombstone(topic, 'k2')]);
    await start(p);
    await appliedUpTo(p, 8);
    expect(await query(`SELECT k, id, seq FROM t_${p.id} ORDER BY k`)).toEqual([{ k: 'k1', id: 'e4', seq: '2' }]);
    expect(await readAll(p.plan.steps[0]!.retry.dlq)).toEqual([]);
  });

  it('ignore: the row stays, the offsets move on', async () => {
    const p = await createPipeline(topology('ignore'));
    await createSinkTables(p);
    const topic = p.topic('in');
    await produceAll([upsert(topic, 'a', 1), tombstone(topic, 'a'), upsert(topic, 'b', 1), tombstone(topic, 'c')]);
    await start(p);
    await appliedUpTo(p, 4);
    expect(await query(`SELECT k, n FROM t_${p.id} ORDER BY k`)).toEqual([
      { k: 'a', n: 1 },
      { k: 'b', n: 1 },
    ]);
    expect(await readAll(p.plan.steps[0]!.retry.dlq)).toEqual([]);
  });

  it('dlq, the default: the tombstone goes to the DLQ with its key bytes intact; the row stays', async () => {
    const p = await createPipeline(topology());
    expect(p.plan.steps[0]!.postgres!.onTombstone).toBe('dlq');
    await createSinkTables(p);
    const topic = p.topic('in');
    const key = Buffer.from([0x6b, 0xc3, 0xbc, 0x00, 0xff]); // not even valid UTF-8
    await produceAll([upsert(topic, 'a', 1), tombstone(topic, key), tombstone(topic, 'a')]);
    await start(p);
    const dlq = await waitFor(
      async () => {
        const d = await readAll(p.plan.steps[0]!.retry.dlq);
        return d.length >= 2 ? d : undefined;
      },
      { timeoutMs: 60_000, what: 'two tombstones in the DLQ' },
    );
    expect(dlq.map((r) => r.key)).toEqual([key, Buffer.from('a')]);
    expect(dlq.map((r) => r.value)).toEqual([null, null]);
    const headers = Object.fromEntries(dlq[0]!.headers.map((h) => [h.key, h.value.toString()]));
    expect(headers['weir.error.class']).toBe('Tombstone');
    expect(headers['weir.attempt']).toBe('1'); // never retried
    expect(await query(`SELECT k, n FROM t_${p.id}`)).toEqual([{ k: 'a', n: 1 }]);
  });
});
