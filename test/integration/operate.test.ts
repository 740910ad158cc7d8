// Operating a pipeline on the real stack: lag reaches 0 after a transactional run (measured
// against the last stable offset, with offsets committed past the commit markers); replay is
// refused while the group is active; a replay to a datetime reprocesses exactly the records after
// it, and a version-guarded Postgres table stays unchanged.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { stepLag } from '../../src/admin/lag.ts';
import { runCli } from '../../src/cli/run.ts';
import { runSteps, type Running } from '../../src/cli/workers.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { registry as metricsRegistry } from '../../src/observability/metrics.ts';
import { rootLogger } from '../../src/observability/logger.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { eventRecords, makeEvents } from '../helpers/events.ts';
import { produceAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { createPipeline, createSinkTables, sinkTopology, transformTopology, type TestPipeline } from '../helpers/pipeline.ts';
import { kafkaConnection, services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';

let running: Running | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(p: TestPipeline) {
  const s = services();
  running = await runSteps({
    plan: p.plan,
    root: p.root,
    kafka: kafkaConnection('weir-operate-test'),
    registry: new RegistryClient(s.SCHEMA_REGISTRY_URL),
    logger: rootLogger(),
    instanceId: 'op-test',
    sessionTimeoutMs: 6_000,
    databaseUrl: s.DATABASE_URL,
  });
}

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  Object.assign(process.env, services());
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: services().DATABASE_URL });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

const sinkRowsMetric = async (step: string) => {
  const m = (await metricsRegistry.getSingleMetric('weir_sink_rows_total')!.get()).values.find((v) => v.labels.step === step);
  return m?.value ?? 0;
};

describe('operating a pipeline', { timeout: 180_000 }, () => {
  it('lag reaches 0 after a transactional run, although commit markers keep the high watermark ahead', async () => {
    const p = await createPipeline(transformTopology({ partitions: 3 }));
    // A transactional producer writes the input, so its partitions end with commit markers too.
    const { KafkaProducer } = await import('../../src/kafka/producer.ts');
    const producer = await KafkaProducer.connect(kafkaConnection(), { name: 'tx-input', transactionalId: `input-${p.id}` });
    await producer.initTransactions(30_000);
    const records = await eventRecords(p.topic('in'), makeEvents(900, 30));
    for (let i = 0; i < records.length; i += 100) {
      await producer.beginTransaction();
      await producer.sendAll(records.slice(i, i + 100));
      await producer.commitTransaction(30_000);
    }
    await producer.disconnect();
    await start(p);
    const step = p.plan.steps[0]!;
    await waitForGroupCaughtUp(step.group, p.topic('in'));
    const lag = await waitFor(
      async () => {
        const l = await stepLag(step, kafkaConnection());
        return l.input.every((x) => x.lag === 0) ? l : undefined;
      },
      { timeoutMs: 30_000, what: 'lag 0' },
    );
    expect(lag.input.reduce((n, x) => n + x.lag, 0)).toBe(0);
    expect(lag.dlq.depth).toBe(0);
    // Each partition names the member holding it, as kafka-consumer-groups --describe does.
    expect(lag.input.every((x) => x.consumerId !== null && x.host !== null && x.clientId !== null)).toBe(true);
    expect(lag.tiers.every((t) => t.depth === 0)).toBe(true);
    // The naive figure, high watermark − (last record + 1), stays above 0: commit markers take offsets.
    const { readAll } = await import('../helpers/kafka.ts');
    const admin = KafkaAdmin.create(kafkaConnection());
    const hwm = await admin.offsets(await admin.partitionsOf([p.topic('in')]), 'latest', 'read_uncommitted');
    admin.disconnect();
    const lastData = new Map<number, number>();
    for (const r of await readAll(p.topic('in'))) lastData.set(r.partition, Math.max(lastData.get(r.partition) ?? -1, r.offset));
    expect(hwm.every((h) => h.offset - (lastData.get(h.partition)! + 1) >= 1)).toBe(true);
    expect(lag.input.map((x) => x.committed)).toEqual(hwm.map((h) => h.offset));
    const json = JSON.parse((await cli('lag', '--json', p.file)).out);
    expect(json[0].input.map((x: { lag: number }) => x.lag)).toEqual([0, 0, 0]);

    // With the workers stopped, a replay commits the earliest offsets in the claim's transaction.
    await running!.stop();
    running = undefined;
    const replayed = await cli('replay', p.file, '--step', step.name, '--to-earliest', '--execute');
    expect(replayed.code).toBe(0);
    const after = await stepLag(step, kafkaConnection());
    expect(after.input.map((x) => x.committed)).toEqual([0, 0, 0]);
    expect(after.input.every((x) => x.consumerId === null)).toBe(true); // nobody holds them now
  });

  it('replay is refused while the group has active members, naming them', async () => {
    const p = await createPipeline(transformTopology({ partitions: 2 }));
    await produceAll(await eventRecords(p.topic('in'), makeEvents(50, 5)));
    await start(p);
    await waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'));
    const r = await cli('replay', p.file, '--step', p.plan.steps[0]!.name, '--to-earliest', '--execute');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/refused: the group has active members: weir-operate-test-step-[^@]+-consumer@/);
  });

  it('replay to a datetime reprocesses exactly the records after it; the version-guarded table is unchanged', async () => {
    const p = await createPipeline(sinkTopology({ version: true, partitions: 3 }));
    await createSinkTables(p);
    const step = p.plan.steps[0]!;
    const first = makeEvents(600, 60, 'a');
    await produceAll(await eventRecords(p.topic('in'), first));
    await new Promise((r) => setTimeout(r, 1_500));
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 1_500));
    const second = makeEvents(240, 60, 'b').map((e) => ({ ...e, seq: e.seq + 100 }));
    await produceAll(await eventRecords(p.topic('in'), second));
    await start(p);
    const offsetsDone = async () =>
      (
        await sql<{ n: string }>('SELECT coalesce(sum(next_offset), 0) AS n FROM weir_offsets WHERE consumer_group = $1 AND topic = $2', [
          step.group,
          p.topic('in'),
        ])
      )[0]!.n === '840';
    await waitFor(offsetsDone, { timeoutMs: 60_000, what: 'the first pass' });
    const before = await sql(`SELECT * FROM t_${p.id} ORDER BY k`);
    const rowsBefore = await sinkRowsMetric(step.name);
    await running!.stop();
    running = undefined;
    const admin = KafkaAdmin.create(kafkaConnection());
    await waitFor(async () => (await admin.describeGroup(step.group)).members.length === 0, {
      timeoutMs: 30_000,
      what: 'the group to empty',
    });
    admin.disconnect();

    const dry = JSON.parse((await cli('replay', p.file, '--step', step.name, '--to-datetime', new Date(cut).toISOString(), '--json')).out);
    expect(dry.partitions.reduce((n: number, x: { reprocess: number }) => n + x.reprocess, 0)).toBe(240);
    expect(dry.downstream).toEqual([expect.objectContaining({ kind: 'postgres', idempotent: true })]);
    const executed = await cli('replay', p.file, '--step', step.name, '--to-datetime', new Date(cut).toISOString(), '--execute');
    expect(executed.out).toContain('240 records in all');
    expect(executed.out).toContain('applied');

    await start(p);
    await waitFor(offsetsDone, { timeoutMs: 60_000, what: 'the replay' });
    await waitFor(async () => (await sinkRowsMetric(step.name)) - rowsBefore >= 240, { timeoutMs: 30_000, what: 'the replayed rows' });
    expect((await sinkRowsMetric(step.name)) - rowsBefore).toBe(240); // exactly the records after the cut
    expect(await sql(`SELECT * FROM t_${p.id} ORDER BY k`)).toEqual(before);
    const audit = (await (await import('../helpers/kafka.ts')).readAll('weir.audit'))
      .map((r) => JSON.parse(r.value!.toString()))
      .filter((a) => a.step === step.name);
    expect(audit).toEqual([
      expect.objectContaining({ action: 'claim', details: expect.objectContaining({ action: 'replay', group: step.group }) }),
      expect.objectContaining({ action: 'replay', by: expect.any(String) }),
    ]);
  });
});
