// `npm run demo`: the example pipeline end to end on the local stack — deploy, a stream of orders
// (with poison pills, invalid orders, a flaky lookup and a busy provider), the three workers, and a
// summary checked against what actually landed in Kafka, Postgres and the provider.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { applyDeploy, diffDeploy } from '../../src/admin/deploy.ts';
import { dlqStats, readDlq } from '../../src/admin/dlq/entries.ts';
import { runSteps } from '../../src/cli/workers.ts';
import { progress } from '../../src/cli/progress.ts';
import { kafkaSettings } from '../../src/config/kafka.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { KafkaProducer } from '../../src/kafka/producer.ts';
import { readToEnd } from '../../src/kafka/reader.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { registry as metrics } from '../../src/observability/metrics.ts';
import { schemaFile } from '../../src/schema/codecs.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { compileTopology } from '../../src/topology/compile/index.ts';
import { toText } from '../../src/topology/graph.ts';
import type { Plan } from '../../src/topology/plan.ts';
import type { KafkaConnection } from '../../src/kafka/client-config.ts';
import { startConsole } from '../../src/console/server.ts';
import { stackUp } from '../../src/stack/stack.ts';
import { demoOrders } from './orders.ts';
import { startProvider } from './receiver.ts';

/** weir's own checkout: the example topology, and the project whose local stack the demo uses. */
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ORDERS = Number(process.env.DEMO_ORDERS ?? 3_000);
const say = (s = '') => process.stdout.write(`${s}\n`);
const step = (n: number, title: string) => say(`\n[${n}/6] ${title}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function resetExample(
  plan: NonNullable<ReturnType<typeof compileTopology>['plan']>,
  kafka: ReturnType<typeof kafkaSettings>,
  databaseUrl: string,
): Promise<void> {
  const admin = KafkaAdmin.create({ bootstrapServers: kafka.bootstrapServers, extra: kafka.extra });
  try {
    await admin.deleteTopics(plan.topics.filter((t) => t.role !== 'audit').map((t) => t.name));
    await admin.deleteGroups(plan.steps.map((s) => s.group)).catch(() => undefined);
    // Topic deletion is asynchronous: wait until the names are free again.
    for (let i = 0; i < 60 && (await admin.partitionCounts(plan.topics.map((t) => t.name))).size > 1; i++) await sleep(250);
  } finally {
    admin.disconnect();
  }
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (const s of plan.steps.filter((x) => x.postgres)) await db.query(`DROP TABLE IF EXISTS ${s.postgres!.table}`);
    await db.query('DELETE FROM weir_offsets WHERE consumer_group = ANY($1)', [plan.steps.map((s) => s.group)]).catch(() => undefined);
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  say('weir demo: orders → enrich → Postgres + rate-limited notifications, exactly once');
  step(1, 'local stack (Kafka, schema registry, Postgres, Redis)');
  const { settings } = await stackUp({ from: PROJECT_ROOT, progress: (line) => say(`  ${line}`) });
  Object.assign(process.env, settings);
  const kafka = kafkaSettings(settings);
  const conn = { bootstrapServers: kafka.bootstrapServers, clientId: 'weir-demo', extra: kafka.extra };
  const registry = new RegistryClient(settings.SCHEMA_REGISTRY_URL);

  step(2, 'deploy topology/orders.yaml (fresh: the example topics and table are recreated)');
  const { plan, root, diagnostics } = compileTopology([join(PROJECT_ROOT, 'topology', 'orders.yaml')], { env: process.env });
  if (!plan) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  await resetExample(plan, kafka, settings.DATABASE_URL);
  const deps = { kafka: conn, registry, databaseUrl: settings.DATABASE_URL };
  const diff = await diffDeploy(plan, root, deps, { allowRepartition: false });
  await applyDeploy(plan, root, deps, diff);
  say(
    `  ${diff.changes.filter((c) => c.kind === 'create-topic').length} topics (with retry tiers and DLQs), ${diff.changes.filter((c) => c.kind === 'register-schema').length} schemas, ${diff.changes.filter((c) => c.kind === 'create-table').length} table`,
  );
  say(toText(plan).trimEnd());

  step(3, 'notification provider on :18090 (deduplicates by Idempotency-Key, busy 3 % of the time)');
  const provider = await startProvider(Number(process.env.DEMO_PROVIDER_PORT ?? 18090), 3);

  step(4, 'workers: enrich, store-orders, notify (logs: .weir/demo/workers.log)');
  process.env.ENRICH_FLAKY_PERCENT = '2';
  const running = await runSteps({
    plan,
    root,
    kafka: conn,
    registry,
    logger: createLogger({}, join(PROJECT_ROOT, '.weir', 'demo', 'workers.log')),
    databaseUrl: settings.DATABASE_URL,
    redisUrl: settings.REDIS_URL,
    instanceId: 'demo',
    sessionTimeoutMs: 10_000,
  });

  step(5, `producing ${ORDERS} orders (1 in 200 invalid, 1 in 300 a poison pill)`);
  const input = plan.topics.find((t) => t.name === 'orders.created')!;
  const schema = schemaFile(root, (input.value as { schema: string }).schema);
  const id = (await registry.lookup('orders.created-value', schema.text))!.id;
  const orders = demoOrders(input.name, schema, id, ORDERS, {
    customers: 400,
    invalidEvery: 200,
    poisonEvery: 300,
    seed: Date.now() % 100_000,
  });
  const producer = await KafkaProducer.connect(conn, { name: 'demo-producer', extra: { partitioner: 'murmur2_random' } });
  const produced = progress('  produced');
  for (let i = 0; i < orders.records.length; i++) {
    await producer.send(orders.records[i]!);
    if (i % 250 === 249 || i === orders.records.length - 1) {
      await producer.flush();
      produced(i + 1, orders.records.length);
      await sleep(100); // a live stream, not one burst
    }
  }
  await producer.disconnect();

  step(6, 'processing (notifications are held to 100/s by the Redis token bucket)');
  const db = new pg.Client({ connectionString: settings.DATABASE_URL });
  await db.connect();
  const counter = async (name: string, stepName: string) =>
    (await metrics.getSingleMetric(name)!.get()).values.filter((v) => v.labels.step === stepName).reduce((n, v) => n + v.value, 0);
  const valid = orders.valid.length;
  const deadline = Date.now() + 6 * 60_000;
  for (;;) {
    const enriched = await counter('weir_records_out_total', 'enrich');
    const rows = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM orders')).rows[0]!.n);
    const dead = await counter('weir_dlq_records_total', 'enrich');
    const line = `  enriched ${enriched}/${valid}  stored ${rows}/${valid}  notified ${provider.delivered.size}/${valid}  dead-lettered ${dead}/${orders.invalid.length + orders.poison}`;
    process.stdout.write(process.stdout.isTTY ? `\r${line}` : `${line}\n`);
    if (enriched >= valid && rows >= valid && provider.delivered.size >= valid && dead >= orders.invalid.length + orders.poison) break;
    if (Date.now() > deadline) throw new Error('the pipeline did not finish within 6 minutes; see .weir/demo/workers.log');
    await sleep(process.stdout.isTTY ? 500 : 5_000);
  }
  say();
  const metricText = await metrics.getSingleMetricAsString('weir_retry_lateness_seconds');
  await running.stop();

  // The summary is read back from where the data landed, not from the workers' own counters.
  const enrichedRecords = await readToEnd(conn, ['orders.enriched']);
  const eventIds = new Set(enrichedRecords.map((r) => r.headers.find((h) => h.key === 'weir.event.id')?.value.toString()));
  const { AvroSerde } = await import('../../src/schema/serde.ts');
  const serde = new AvroSerde(registry);
  await serde.prepare(enrichedRecords.map((r) => r.value));
  const orderIds = enrichedRecords.map((r) => (serde.decode(r.value) as { orderId: string }).orderId);
  const distinctOrders = new Set(orderIds);
  const missing = orders.valid.filter((o) => !distinctOrders.has(o));
  const rows = (await db.query<{ n: string; distinct: string }>('SELECT count(*) AS n, count(DISTINCT order_id) AS distinct FROM orders'))
    .rows[0]!;
  await db.end();
  const dlq = dlqStats(plan.steps.find((s) => s.name === 'enrich')!, await readDlq(conn, plan.steps.find((s) => s.name === 'enrich')!));
  const lateness =
    /weir_retry_lateness_seconds_sum\{step="enrich",tier="0"\} ([\d.e+-]+)[\s\S]*?weir_retry_lateness_seconds_count\{step="enrich",tier="0"\} (\d+)/.exec(
      metricText,
    );
  const retried = await counter('weir_retry_hops_total', 'enrich');
  await provider.close();
  const ok =
    missing.length === 0 &&
    orderIds.length === distinctOrders.size &&
    eventIds.size === enrichedRecords.length &&
    Number(rows.n) === valid &&
    Number(rows.distinct) === valid &&
    provider.delivered.size === valid;

  say('\nsummary');
  say(
    `  orders in                ${orders.records.length} (${valid} valid, ${orders.invalid.length} invalid, ${orders.poison} poison pills)`,
  );
  say(
    `  orders.enriched          ${enrichedRecords.length} records, ${distinctOrders.size} distinct orders, ${eventIds.size} distinct event ids, ${missing.length} missing → ${enrichedRecords.length === valid && missing.length === 0 ? 'each valid order exactly once' : 'NOT exactly once'}`,
  );
  say(`  postgres table orders    ${rows.n} rows (${rows.distinct} distinct order ids)`);
  say(
    `  notifications            ${provider.delivered.size} delivered once each; ${provider.unavailable} answered 503 and were retried; ${provider.duplicates} repeats absorbed by the Idempotency-Key`,
  );
  say(`  DLQ orders.created.enrich.dlq (${dlq.depth}):`);
  for (const g of dlq.byError) say(`    ${String(g.count).padStart(4)}  ${g.errorClass}: ${g.message}`);
  if (lateness)
    say(
      `  retries                  ${retried} flaky lookups retried after 5 s (their key's later orders waited behind them), processed on average ${((Number(lateness[1]) / Number(lateness[2])) * 1000).toFixed(0)} ms after their due time`,
    );
  say(`  time                     ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  say(
    `\n${ok ? 'OK' : 'CHECK FAILED'}: next, try \`weir lag\`, \`weir dlq stats --step enrich\`, \`weir dlq show --step enrich\`, or \`weir graph\`.`,
  );
  if (!ok) process.exitCode = 1;
  await serveConsole(plan, conn, registry, settings.DATABASE_URL);
}

/**
 * Ends with the console's address: interactive, it serves until Ctrl-C; otherwise (CI, a pipe) it
 * says how to serve it, since nobody could open it after the demo exits.
 */
async function serveConsole(plan: Plan, conn: KafkaConnection, registry: RegistryClient, databaseUrl: string): Promise<void> {
  const port = Number(process.env.DEMO_CONSOLE_PORT ?? 8080);
  const opts = { plan, kafka: conn, registry, databaseUrl, workers: [] };
  if (!process.stdin.isTTY || process.env.CI) {
    say(`console: \`npm run weir -- console topology/orders.yaml\` serves it at http://127.0.0.1:${port}`);
    return;
  }
  const server = await startConsole(opts, port, '127.0.0.1').catch(() => startConsole(opts, 0, '127.0.0.1'));
  say(`console: ${server.url}  (the pipeline, lag, retry tiers and the DLQ explorer; Ctrl-C stops it)`);
  await new Promise((resolve) => process.once('SIGINT', resolve));
  await server.close();
}

main().then(
  () => setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref(),
  (err: unknown) => {
    process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
