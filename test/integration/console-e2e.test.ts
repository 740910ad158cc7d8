// `weir console` end to end, in headless Chromium (Debian's chromium driven by playwright-core),
// against the real stack with the example pipeline (topology/orders.yaml, under unique names)
// running in `weir run` workers: the graph shows the three steps; lag moves while orders are
// produced and reaches 0; a dead-lettered order is found by its error class and opened, its Avro
// value decoded; after the cause is lifted, a redrive is previewed, refused without the token,
// confirmed with it, audited — and the order reaches the output; a replay is planned (dry run).
// Screenshots of each view go to test-results/console/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { startConsole, type ConsoleServer } from '../../src/console/server.ts';
import { schemaFile } from '../../src/schema/codecs.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { encodeAvro } from '../../src/schema/serde.ts';
import { compileTopology } from '../../src/topology/compile/index.ts';
import { demoOrders } from '../../scripts/demo/orders.ts';
import { produceAll, produceOverTime, readAll } from '../helpers/kafka.ts';
import { receiver } from '../helpers/http-server.ts';
import { kafkaConnection, services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { WorkerPool } from '../helpers/workers.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(REPO, 'test-results', 'console');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const TOKEN = 'console-e2e-token-4f9a';

/** The example project under unique topic, pipeline and table names. */
function exampleProject() {
  const id = `c${Date.now().toString(36)}`;
  const root = mkdtempSync(join(tmpdir(), 'weir-console-'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  for (const dir of ['schemas', 'transforms']) symlinkSync(join(REPO, dir), join(root, dir));
  const yaml = readFileSync(join(REPO, 'topology', 'orders.yaml'), 'utf8')
    .replace(/^pipeline: orders$/m, `pipeline: orders${id}`)
    .replace(/orders\.(created|enriched)\b/g, `orders.$1.${id}`)
    .replace(/table: orders$/m, `table: orders_${id}`);
  const file = join(root, 'orders.yaml');
  writeFileSync(file, yaml);
  const { plan } = compileTopology([file], { root });
  if (!plan) throw new Error('the example topology does not compile under test names');
  return { id, root, file, plan, created: `orders.created.${id}`, enriched: `orders.enriched.${id}` };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let browser: Browser | undefined;
let server: ConsoleServer | undefined;
const pools: WorkerPool[] = [];
afterAll(async () => {
  await browser?.close();
  await server?.close();
  for (const p of pools) await p.stopAll();
});

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe('weir console in a browser', { timeout: 400_000 }, () => {
  it('graph, live lag, DLQ explorer, and a redrive confirmed with the token', async () => {
    expect(CHROMIUM, "Debian's chromium is installed (scripts/setup.sh)").toBeDefined();
    mkdirSync(SHOTS, { recursive: true });
    const p = exampleProject();
    const cli = (...argv: string[]) => runCli(argv, { out: () => undefined, err: (t) => process.stderr.write(`${t}\n`) });
    Object.assign(process.env, services());
    expect(await cli('deploy', p.file, '--execute')).toBe(0);
    const partner = await receiver();
    const metricsPort = await freePort();
    const env = { NOTIFY_URL: partner.url, ENRICH_BLOCKED_CUSTOMERS: 'cust-blocked' };
    const args = ['--metrics-port', String(metricsPort), '--metrics-host', '127.0.0.1'];
    const blocked = new WorkerPool(p, { env, args });
    pools.push(blocked);
    const first = blocked.start('a');
    await waitFor(() => first.logs.filter((l) => l.msg === 'assigned').length >= 3, { timeoutMs: 90_000, what: 'three steps joined' });

    server = await startConsole(
      {
        plan: p.plan,
        kafka: kafkaConnection('weir-console-test'),
        registry: new RegistryClient(services().SCHEMA_REGISTRY_URL),
        databaseUrl: services().DATABASE_URL,
        workers: [`http://127.0.0.1:${metricsPort}`],
        token: TOKEN,
      },
      0,
      '127.0.0.1',
    );
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    // Every wait is for a condition; generous, so that a loaded machine is slower, not failing.
    page.setDefaultTimeout(90_000);

    // The graph: the three steps of the example.
    await page.goto(server.url);
    const stepNodes = await page.locator('[data-testid=graph] g.node.step').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-node')));
    expect(stepNodes.sort()).toEqual(['enrich', 'notify', 'store-orders']);
    await page.locator('[data-testid=step]').first().waitFor();
    await shot(page, '1-pipeline');

    // Lag moves while orders are produced (notify is rate-limited to 100/s) and reaches 0.
    const schema = schemaFile(p.root, 'schemas/orders/OrderCreated.avsc');
    const id = (await new RegistryClient(services().SCHEMA_REGISTRY_URL).lookup(`${p.created}-value`, schema.text))!.id;
    const orders = demoOrders(p.created, schema, id, 1_500, { customers: 200, invalidEvery: 0, poisonEvery: 0, seed: 7 });
    const totalLag = async () =>
      (await page.locator('[data-testid=step] [data-testid=lag]').allTextContents()).reduce((n, t) => n + Number(t), 0);
    let maxLag = 0;
    const producing = produceOverTime(orders.records, 10, 300);
    await waitFor(async () => (maxLag = Math.max(maxLag, await totalLag())) > 0, { timeoutMs: 60_000, what: 'lag above 0 on the page' });
    await shot(page, '2-lag-moving');
    await producing;
    const blockedOrder = {
      orderId: 'ord-blocked-1',
      customerId: 'cust-blocked',
      seq: 1,
      revision: 1,
      items: [{ sku: 'SKU-1001', quantity: 2, unitPriceCents: 1250 }],
      currency: 'EUR',
      country: 'DE',
      createdAt: Date.now(),
    };
    await produceAll([{ topic: p.created, key: 'cust-blocked', value: encodeAvro(schema.type, id, blockedOrder, `${p.created}-value`) }]);
    await waitFor(async () => (await totalLag()) === 0, { timeoutMs: 120_000, intervalMs: 500, what: 'lag 0 on the page' });
    console.log(`console e2e: highest total lag seen on the page ${maxLag}, then 0`);
    await shot(page, '3-caught-up');

    // The DLQ: the blocked order, found by its error class, opened, its value decoded.
    await page.goto(`${server.url}/dlq`);
    await shot(page, '4-dlq');
    await page.locator('[data-testid=dlq-step][data-step=enrich] a', { hasText: 'ValidationError' }).click();
    await page.locator('[data-testid=record-link]').first().click();
    const value = await page.locator('[data-testid=record-value]').textContent();
    expect(JSON.parse(value!)).toMatchObject({ orderId: 'ord-blocked-1', customerId: 'cust-blocked' });
    await shot(page, '5-record');

    // The cause is lifted (the workers run without the block); then the redrive.
    await blocked.stopAll();
    const fixed = new WorkerPool(p, { env: { NOTIFY_URL: partner.url }, args });
    pools.push(fixed);
    const second = fixed.start('a');
    await waitFor(() => second.logs.filter((l) => l.msg === 'assigned').length >= 3, { timeoutMs: 90_000, what: 'three steps rejoined' });
    await page.goto(`${server.url}/dlq/enrich?errorClass=ValidationError`);
    await page.locator('[data-testid=preview]').click();
    expect(await page.locator('[data-testid=preview-result]').textContent()).toContain(`redrive 1 records to ${p.created}`);
    await shot(page, '6-preview');
    await page.locator('[data-testid=confirm]').click(); // no token
    expect(await page.locator('[data-testid=refused]').textContent()).toContain('the token is missing or wrong');
    expect(await readAll(p.created)).toHaveLength(orders.records.length + 1); // nothing was redriven
    await shot(page, '7-refused');
    await page.locator('[data-testid=preview]').click();
    await page.locator('[data-testid=token]').fill(TOKEN);
    await page.locator('[data-testid=confirm]').click();
    await page.locator('[data-testid=job][data-state=finished]').waitFor();
    expect(JSON.parse((await page.locator('[data-testid=audit]').textContent())!)).toMatchObject({ action: 'dlq-redrive', step: 'enrich' });
    await shot(page, '8-redriven');
    const enriched = await waitFor(
      async () => {
        const out = await readAll(p.enriched);
        return out.find((r) => r.value?.includes('ord-blocked-1')) ? out : undefined;
      },
      { timeoutMs: 60_000, what: 'the redriven order in the output' },
    );
    expect(enriched.filter((r) => r.value?.includes('ord-blocked-1'))).toHaveLength(1);

    // Replay planning: a dry run for the step, which names the members to stop first.
    await page.goto(`${server.url}/replay`);
    await page.locator('select[name=step]').selectOption('enrich');
    await page.locator('[data-testid=plan-replay]').click();
    await expect
      .poll(() => page.locator('[data-testid=replay-plan]').textContent(), { timeout: 30_000 })
      .toContain('records processed again');
    expect(await page.locator('[data-testid=replay-plan]').textContent()).toMatch(/active members .*stop the step's workers/);
    await shot(page, '9-replay-plan');
  });
});
