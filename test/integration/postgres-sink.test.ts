// The Postgres sink on the real stack: rows and offsets in one transaction, the final state of an
// upsert table, version-guarded replays that change nothing, a bad row isolated into the DLQ, and a
// connection cut inside an open transaction.
import { afterEach, describe, expect, it } from 'vitest';
import type { Running } from '../../src/cli/workers.ts';
import { query, startSteps } from '../helpers/steps.ts';
import { schemaFile } from '../../src/schema/codecs.ts';
import { PostgresSink } from '../../src/sinks/postgres/sink.ts';
import type { SinkRecord } from '../../src/sinks/sink.ts';
import { eventRecords, makeEvents, type Event } from '../helpers/events.ts';
import { produceAll, readAll } from '../helpers/kafka.ts';
import { createPipeline, createSinkTables, sinkTopology, type TestPipeline } from '../helpers/pipeline.ts';
import { services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';

let running: Running | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(p: TestPipeline, databaseUrl = services().DATABASE_URL) {
  running = await startSteps(p, 'weir-pg-test', { databaseUrl });
}

/** A trigger logging every application of a row of t_<id>; a rolled-back transaction rolls its log rows back too. */
const applicationLog = (id: string) => [
  `CREATE TABLE applied_${id} (event_id text NOT NULL)`,
  `CREATE FUNCTION log_${id}() RETURNS trigger AS $$ BEGIN INSERT INTO applied_${id} VALUES (NEW.event_id); RETURN NEW; END $$ LANGUAGE plpgsql`,
  `CREATE TRIGGER applied AFTER INSERT OR UPDATE ON t_${id} FOR EACH ROW EXECUTE FUNCTION log_${id}()`,
];

/** Per key, the last event (highest seq): what an upsert table must end up holding. */
const finalState = (events: Event[]) =>
  [...new Map(events.map((e) => [e.key, e])).values()]
    .map((e) => ({ k: e.key, id: e.id, seq: String(e.seq) }))
    .sort((a, b) => a.k.localeCompare(b.k));

describe('postgres sink', () => {
  it('writes the final state of an upsert table; offsets in Postgres reach the end of every partition', async () => {
    const p = await createPipeline(sinkTopology({ version: true }));
    await createSinkTables(p);
    const events = makeEvents(3_000, 150);
    await produceAll(await eventRecords(p.topic('in'), events));
    await start(p);
    const step = p.plan.steps[0]!;
    await waitFor(
      async () =>
        (
          await query<{ n: string }>(
            `SELECT coalesce(sum(next_offset), 0) AS n FROM weir_offsets WHERE consumer_group = $1 AND topic = $2`,
            [step.group, p.topic('in')],
          )
        )[0]!.n === String(events.length),
      { timeoutMs: 60_000, what: 'the offsets in Postgres to reach the end' },
    );
    const rows = await query<{ k: string; id: string; seq: string }>(`SELECT k, id, seq::text FROM t_${p.id} ORDER BY k`);
    expect(rows).toEqual(finalState(events));
    const [sample] = await query<{ event_id: string; source_offset: string }>(
      `SELECT event_id, source_offset::text FROM t_${p.id} WHERE k = 'k0'`,
    );
    expect(sample!.event_id).toMatch(new RegExp(`^store-${p.id}:in\\.${p.id}:\\d:${sample!.source_offset}:0$`));
  });

  it('a replay from the beginning leaves a version-guarded table unchanged', async () => {
    const p = await createPipeline(sinkTopology({ version: true }));
    await createSinkTables(p);
    const events = makeEvents(1_000, 50);
    await produceAll(await eventRecords(p.topic('in'), events));
    await start(p);
    const step = p.plan.steps[0]!;
    const done = async () =>
      (
        await query<{ n: string }>(`SELECT coalesce(sum(next_offset), 0) AS n FROM weir_offsets WHERE consumer_group = $1 AND topic = $2`, [
          step.group,
          p.topic('in'),
        ])
      )[0]!.n === String(events.length);
    await waitFor(done, { timeoutMs: 60_000, what: 'the first pass' });
    const before = await query(`SELECT * FROM t_${p.id} ORDER BY k`);
    await running!.stop();
    running = undefined;
    await query(`UPDATE weir_offsets SET next_offset = 0 WHERE consumer_group = $1`, [step.group]); // replay: Postgres holds the offsets
    await start(p);
    await waitFor(done, { timeoutMs: 60_000, what: 'the replay' });
    expect(await query(`SELECT * FROM t_${p.id} ORDER BY k`)).toEqual(before);
  });

  it('a row that violates a constraint goes to the DLQ with the database error; the rest of its batch is written', async () => {
    const p = await createPipeline(sinkTopology({ keyBy: 'id', partitions: 1 }));
    await createSinkTables(p, [`ALTER TABLE t_${p.id} ADD CONSTRAINT no_thirteen CHECK (seq <> 13)`]);
    const events = makeEvents(200, 10); // seq 13 exists for 10 keys
    await produceAll(await eventRecords(p.topic('in'), events));
    await start(p);
    const step = p.plan.steps[0]!;
    const dlq = await waitFor(
      async () => {
        const d = await readAll(step.retry.dlq);
        return d.length >= 10 ? d : undefined;
      },
      { timeoutMs: 60_000, what: 'ten rejected rows in the DLQ' },
    );
    await waitFor(async () => (await query<{ n: string }>(`SELECT count(*) AS n FROM t_${p.id}`))[0]!.n === '190', {
      timeoutMs: 30_000,
      what: '190 rows',
    });
    const h = Object.fromEntries(dlq[0]!.headers.map((x) => [x.key, x.value.toString()]));
    expect(h['weir.error.class']).toBe('ConstraintViolation');
    expect(h['weir.error.message']).toContain('no_thirteen');
    expect(h['weir.attempt']).toBe('1'); // a constraint violation does not retry
    expect((await query<{ n: string }>(`SELECT count(*) AS n FROM t_${p.id} WHERE seq = 13`))[0]!.n).toBe('0');
  });
  it('a connection terminated inside an open sink transaction fails that commit without crashing the process; the next transaction commits', async () => {
    const p = await createPipeline(sinkTopology({ partitions: 1 }));
    await createSinkTables(p);
    const step = p.plan.steps[0]!;
    const sink = new PostgresSink(step, {
      connectionString: services().DATABASE_URL,
      schemaJson: schemaFile(p.root, step.readerSchema!).json,
    });
    await sink.open();
    try {
      const tp = { topic: p.topic('in'), partition: 0 };
      await sink.claim([tp]);
      const record = (offset: number): SinkRecord => ({
        key: 'k0',
        value: { id: `e${offset}`, key: 'k0', seq: offset + 1, payload: '' },
        rawKey: Buffer.from('k0'),
        ...tp,
        offset,
        timestamp: Date.now(),
        eventId: `ev${offset}`,
      });
      const tx = await sink.begin([record(0)], [{ ...tp, offset: 1, from: 0 }]);
      // The backend dies between statements: pg reports it as an 'error' event on the idle client.
      const [killed] = await query<{ n: string }>(
        `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = $1`,
        [`weir:${step.name}`],
      );
      expect(killed!.n).toBe('1');
      await new Promise((r) => setTimeout(r, 300));
      await expect(tx.commit()).rejects.toThrow();
      const offsetsOf = () => query(`SELECT next_offset::text AS n FROM weir_offsets WHERE consumer_group = $1`, [step.group]);
      expect(await offsetsOf()).toEqual([{ n: null }]); // claimed, nothing committed
      expect(await query(`SELECT id FROM t_${p.id}`)).toEqual([]);
      const retry = await sink.begin([record(0)], [{ ...tp, offset: 1, from: 0 }]);
      await retry.commit();
      expect(await query(`SELECT id FROM t_${p.id}`)).toEqual([{ id: 'e0' }]);
      expect(await offsetsOf()).toEqual([{ n: '1' }]);
    } finally {
      await sink.close();
    }
  });
});

describe('postgres sink: a connection cut at the worst moments', { timeout: 120_000 }, () => {
  it.each(['cut-start', 'lose-answer', 'late-commit'] as const)('%s: every row applied once, offsets at the end', async (fault) => {
    // Keyed by event, a plain upsert and a trigger logging every application (as under faults).
    const p = await createPipeline(sinkTopology({ partitions: 1, keyBy: 'id', batch: '{ records: 50, time: 100ms }' }));
    await createSinkTables(p, applicationLog(p.id));
    const events = makeEvents(300, 300);
    await produceAll(await eventRecords(p.topic('in'), events));
    const { PgProxy } = await import('../helpers/pg-proxy.ts');
    const proxy = await PgProxy.start(services().DATABASE_URL, fault, 3);
    try {
      await start(p, proxy.url);
      const step = p.plan.steps[0]!;
      await waitFor(
        async () =>
          (await query<{ n: string }>(`SELECT next_offset::text AS n FROM weir_offsets WHERE consumer_group = $1`, [step.group]))[0]?.n ===
          String(events.length),
        { timeoutMs: 90_000, what: 'Postgres offsets at the end' },
      );
      expect(proxy.struck).toBe(true);
      const [applied] = await query<{ n: string; distinct: string }>(
        `SELECT count(*) AS n, count(DISTINCT event_id) AS distinct FROM applied_${p.id}`,
      );
      expect(applied).toEqual({ n: String(events.length), distinct: String(events.length) });
    } finally {
      await running?.stop();
      running = undefined;
      await proxy.close();
    }
  });
});

describe('postgres sink under faults', { timeout: 400_000 }, () => {
  it('SIGKILLed ≥5 times and its connections terminated during 50k records: every record applied exactly once', async () => {
    const { WorkerPool, seededRandom } = await import('../helpers/workers.ts');
    const { produceOverTime } = await import('../helpers/kafka.ts');
    const rnd = seededRandom();
    console.log(`fault seed ${rnd.seed}`);
    // Keyed by event (no two records share a row) and a plain upsert (no version guard): a batch
    // applied twice would update its rows again. A trigger logs every application; a rolled-back
    // transaction rolls its log rows back too.
    const p = await createPipeline(sinkTopology({ partitions: 4, keyBy: 'id', batch: '{ records: 500, time: 100ms }' }));
    await createSinkTables(p, applicationLog(p.id));
    const events = makeEvents(50_000, 500);
    const pool = new WorkerPool(p);
    pool.start('a');
    let producing = true;
    const feed = produceOverTime(await eventRecords(p.topic('in'), events), 25, 800).finally(() => (producing = false));
    let terminated = 0;
    let armed = false;
    const selfKilled = () => pool.logged(/test crash point/).length;
    // Every kind of fault must happen at least once whatever the seed: connections are cut until one
    // was, and crash points are armed only while records still arrive (an idle worker never reaches
    // one), the first restart always armed.
    const faultsUntil = Date.now() + 150_000;
    while (producing || pool.kills + selfKilled() < 6 || selfKilled() < 1 || terminated === 0) {
      if (Date.now() > faultsUntil)
        throw new Error(
          `faults incomplete after 150 s: ${pool.kills} SIGKILL, ${selfKilled()} crash points, ${terminated} connections terminated\n${pool.dump()}`,
        );
      await new Promise((r) => setTimeout(r, rnd.int(1_000, 2_500)));
      if (!pool.alive('a')) {
        armed = false; // it killed itself at its crash point
        pool.start('a');
        continue;
      }
      if (terminated === 0 || rnd.next() < 0.3) {
        // Cut the worker's database connections, mid-transaction when one is open.
        const killed = await query<{ n: string }>(
          `SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = $1`,
          [`weir:store-${p.id}`],
        );
        terminated += Number(killed[0]!.n);
        continue;
      }
      if (armed && producing) continue; // let it reach its crash point
      await pool.kill('a');
      armed = producing && (selfKilled() === 0 || rnd.next() < 0.4);
      pool.start('a', armed ? { WEIR_TEST_CRASH: `after-db-commit:${rnd.int(1, 5)}` } : {});
    }
    await feed;
    await pool.kill('a');
    pool.start('a');
    const step = p.plan.steps[0]!;
    await waitFor(
      async () =>
        (
          await query<{ n: string }>(
            `SELECT coalesce(sum(next_offset), 0) AS n FROM weir_offsets WHERE consumer_group = $1 AND topic = $2`,
            [step.group, p.topic('in')],
          )
        )[0]!.n === String(events.length),
      { timeoutMs: 120_000, intervalMs: 500, what: 'Postgres offsets at the end' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${pool.dump()}`);
    });
    const selfKills = pool.logged(/test crash point/).length;
    const [applied] = await query<{ n: string; distinct: string }>(
      `SELECT count(*) AS n, count(DISTINCT event_id) AS distinct FROM applied_${p.id}`,
    );
    console.log(
      `kills: ${pool.kills} SIGKILL + ${selfKills} after the DB commit; ${terminated} connections terminated; ${applied!.n} applications`,
    );
    expect(pool.kills + selfKills).toBeGreaterThanOrEqual(5);
    expect(applied).toEqual({ n: String(events.length), distinct: String(events.length) });
    expect(terminated).toBeGreaterThan(0);
    const rows = await query<{ k: string; seq: string }>(`SELECT k, seq::text FROM t_${p.id}`);
    expect(rows.length).toBe(events.length);
    const seqOf = new Map(rows.map((r) => [r.k, r.seq]));
    expect(events.every((e) => seqOf.get(e.id) === String(e.seq))).toBe(true);
    // The offsets may have reached the end before the restart (the previous worker applied it all):
    // SIGTERM must reach a worker that has started, not one still loading (a CI run saw exit by signal).
    await waitFor(() => pool.processes.get('a')!.logs.some((l) => l.msg === 'assigned'), {
      timeoutMs: 60_000,
      what: 'the last worker assigned',
    });
    expect(await pool.stopAll()).toEqual([0]);
  });
});
