// The delayed retry chain and the DLQ on the real broker: transient failures come through after
// their tiers and never early; permanent failures and exhausted retries land in the DLQ with the
// original bytes and bounded headers; ordered retries keep each key's order, plain retries do not.
import { afterEach, describe, expect, it } from 'vitest';
import { registry as metricsRegistry } from '../../src/observability/metrics.ts';
import { rootLogger } from '../../src/observability/logger.ts';
import { runSteps, type Running } from '../../src/cli/workers.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { attemptLog } from '../fixtures/project/transforms/events.ts';
import { CLEAN, decodeEvents, eventRecords, makeEvents, verifyOutput } from '../helpers/events.ts';
import { produceAll, readAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { createPipeline, transformTopology, type TestPipeline } from '../helpers/pipeline.ts';
import { kafkaConnection, services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';

let running: Running | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  for (const k of ['FLAKY_IDS', 'FLAKY_ATTEMPTS', 'PERMANENT_IDS']) delete process.env[k];
});

async function start(p: TestPipeline) {
  running = await runSteps({
    plan: p.plan,
    root: p.root,
    kafka: kafkaConnection('weir-retry-test'),
    registry: new RegistryClient(services().SCHEMA_REGISTRY_URL),
    logger: rootLogger().child({ test: p.id }),
    instanceId: 'test',
    sessionTimeoutMs: 6_000,
  });
}

const ids = (events: Array<{ id: string }>) => new Set(events.map((e) => e.id));

describe('retry tiers', () => {
  it('transient failures come through after their tiers, each attempt no earlier than due', async () => {
    const p = await createPipeline(transformTopology({ partitions: 3, transform: 'flaky', retry: '{ delays: [1s, 2s] }' }));
    const events = makeEvents(300, 30);
    const flaky = events.filter((_, i) => i % 15 === 0).map((e) => e.id);
    Object.assign(process.env, { FLAKY_IDS: flaky.join(','), FLAKY_ATTEMPTS: '2' });
    attemptLog.length = 0;
    await produceAll(await eventRecords(p.topic('in'), events));
    await start(p);
    const out = await waitFor(
      async () => {
        const o = await decodeEvents(await readAll(p.topic('out')));
        return o.length >= events.length ? o : undefined;
      },
      { timeoutMs: 60_000, what: 'all events in the output' },
    );
    expect(verifyOutput(out, events).missing).toEqual([]);
    expect(verifyOutput(out, events).duplicates).toEqual([]);
    const byId = new Map(out.map((o) => [o.id, o.payload]));
    expect(flaky.every((id) => byId.get(id) === 'attempt-3')).toBe(true);
    expect(events.filter((e) => !flaky.includes(e.id)).every((e) => byId.get(e.id) === 'attempt-1')).toBe(true);
    // Never early: attempt 2 ≥ 1 s after attempt 1's failure, attempt 3 ≥ 2 s after attempt 2's.
    const lateness: number[] = [];
    for (const id of flaky) {
      const [a1, a2, a3] = [1, 2, 3].map((n) => attemptLog.find((a) => a.id === id && a.attempt === n)!.at);
      expect(a2! - a1!).toBeGreaterThanOrEqual(1_000);
      expect(a3! - a2!).toBeGreaterThanOrEqual(2_000);
      lateness.push(a2! - a1! - 1_000, a3! - a2! - 2_000);
    }
    lateness.sort((a, b) => a - b);
    console.log(
      `retry lateness over ${lateness.length} attempts: p50 ${lateness[Math.floor(lateness.length / 2)]} ms, p99 ${lateness[Math.floor(lateness.length * 0.99)]} ms, max ${lateness.at(-1)} ms`,
    );
    const metricsText = await metricsRegistry.metrics();
    const labels = `pipeline="${p.plan.steps[0]!.pipeline}",step="step-${p.id}"`;
    expect(metricsText).toMatch(new RegExp(`weir_retry_lateness_seconds_count\\{${labels},tier="0"\\} ${flaky.length}`));
    expect(metricsText).not.toMatch(new RegExp(`weir_retry_early_total\\{${labels}`));
  });

  it('permanent failures and exhausted retries land in the DLQ with their original bytes and bounded headers', async () => {
    const p = await createPipeline(transformTopology({ partitions: 2, transform: 'flaky', retry: '{ delays: [500ms, 1s] }' }));
    const events = makeEvents(60, 6);
    Object.assign(process.env, { PERMANENT_IDS: 'e3,e4', FLAKY_IDS: 'e10', FLAKY_ATTEMPTS: '99' });
    const records = await eventRecords(p.topic('in'), events);
    await produceAll(records.map((r, i) => ({ ...r, headers: [{ key: 'source', value: Buffer.from(`test-${i}`) }] })));
    await start(p);
    const dlq = await waitFor(
      async () => {
        const d = await readAll(p.plan.steps[0]!.retry.dlq);
        return d.length >= 3 ? d : undefined;
      },
      { timeoutMs: 30_000, what: 'three DLQ records' },
    );
    await waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'));
    const h = (r: (typeof dlq)[number]) => Object.fromEntries(r.headers.map((x) => [x.key, x.value.toString()]));
    const byId = new Map(dlq.map((r) => [(h(r)['weir.origin.offset'] ?? '') + h(r)['weir.origin.partition'], r]));
    expect(byId.size).toBe(3);
    for (const r of dlq) {
      const headers = h(r);
      const original = records[Number(headers.source!.slice(5))]!;
      expect(r.value).toEqual(original.value); // byte for byte
      expect(r.key?.toString()).toBe(original.key);
      // The original header, and each weir header exactly once: replaced per hop, never appended.
      expect(r.headers.filter((x) => x.key === 'weir.attempt')).toHaveLength(1);
      expect(Object.keys(headers).sort()).toEqual(
        [
          'source',
          'weir.attempt',
          'weir.error.class',
          'weir.error.message',
          'weir.error.stack.hash',
          'weir.failure.first',
          'weir.failure.last',
          'weir.group',
          'weir.origin.offset',
          'weir.origin.partition',
          'weir.origin.timestamp',
          'weir.origin.topic',
          'weir.step',
        ].sort(),
      );
    }
    const classes = dlq.map((r) => `${h(r)['weir.error.class']}@${h(r)['weir.attempt']}`).sort();
    expect(classes).toEqual(['NonRetryableError@1', 'NonRetryableError@1', 'RetryableError@3']);
    const exhausted = dlq.find((r) => h(r)['weir.error.class'] === 'RetryableError')!;
    expect(Number(h(exhausted)['weir.failure.last'])).toBeGreaterThanOrEqual(Number(h(exhausted)['weir.failure.first']) + 1_500);
    const out = await decodeEvents(await readAll(p.topic('out')));
    expect(
      verifyOutput(
        out,
        events.filter((e) => !['e3', 'e4', 'e10'].includes(e.id)),
      ),
    ).toEqual(CLEAN);
    expect([...ids(out)].filter((id) => ['e3', 'e4', 'e10'].includes(id))).toEqual([]);
  });
});

describe('ordered retries', () => {
  const scenario = async (preserveKeyOrder: boolean) => {
    const p = await createPipeline(
      transformTopology({ partitions: 2, transform: 'flaky', retry: `{ delays: [1s], preserveKeyOrder: ${preserveKeyOrder} }` }),
    );
    const events = makeEvents(200, 10); // 20 records per key
    const flaky = events.filter((e) => e.seq === 3 || e.seq === 11).map((e) => e.id); // fail once
    Object.assign(process.env, { FLAKY_IDS: flaky.join(','), FLAKY_ATTEMPTS: '1' });
    await produceAll(await eventRecords(p.topic('in'), events));
    await start(p);
    const out = await waitFor(
      async () => {
        const o = await decodeEvents(await readAll(p.topic('out')));
        return o.length >= events.length ? o : undefined;
      },
      { timeoutMs: 60_000, what: 'all events out' },
    );
    await running!.stop();
    running = undefined;
    return { p, verdict: verifyOutput(out, events) };
  };

  it('with preserveKeyOrder, each key comes out in input order although some of its records were retried', async () => {
    const { verdict, p } = await scenario(true);
    expect(verdict).toEqual(CLEAN);
    // Every key left the chain: the compacted bookkeeping ends in tombstones.
    const keys = await readAll(p.plan.steps[0]!.retry.keysTopic!);
    const last = new Map(keys.map((r) => [r.key!.toString(), r.value]));
    expect([...last.values()].every((v) => v === null)).toBe(true);
  });

  it('without it, later records of a key overtake the retried one (the documented trade-off)', async () => {
    const { verdict } = await scenario(false);
    expect(verdict.missing).toEqual([]);
    expect(verdict.duplicates).toEqual([]);
    expect(verdict.orderViolations.length).toBeGreaterThan(0);
  });
});

describe('retries under SIGKILL', { timeout: 300_000 }, () => {
  it('every input ends exactly once in the output or the DLQ, never in both', async () => {
    const { WorkerPool, seededRandom } = await import('../helpers/workers.ts');
    const { produceOverTime } = await import('../helpers/kafka.ts');
    const rnd = seededRandom();
    console.log(`fault seed ${rnd.seed}`);
    const p = await createPipeline(transformTopology({ partitions: 3, transform: 'flaky', retry: '{ delays: [500ms, 1s, 2s] }' }));
    const events = makeEvents(6_000, 60);
    const flaky = events.filter((_, i) => i % 10 === 0).map((e) => e.id);
    const permanent = events.filter((_, i) => i % 50 === 7).map((e) => e.id);
    const pool = new WorkerPool(p, { env: { FLAKY_IDS: flaky.join(','), FLAKY_ATTEMPTS: '2', PERMANENT_IDS: permanent.join(',') } });
    pool.start('a');
    pool.start('b');
    let producing = true;
    const feed = produceOverTime(await eventRecords(p.topic('in'), events), 12, 700).finally(() => (producing = false));
    while (producing || pool.kills < 6) {
      await new Promise((r) => setTimeout(r, rnd.int(1_000, 3_000)));
      const slot = rnd.next() < 0.5 ? 'a' : 'b';
      await pool.kill(slot);
      pool.start(slot, rnd.next() < 0.5 ? { WEIR_TEST_CRASH: `after-send-offsets:${rnd.int(1, 4)}` } : {});
    }
    await feed;
    await pool.kill('a');
    await pool.kill('b');
    pool.start('a');
    pool.start('b');
    const expectedOut = events.filter((e) => !permanent.includes(e.id));
    const out = await waitFor(
      async () => {
        const o = await decodeEvents(await readAll(p.topic('out')));
        return o.length >= expectedOut.length ? o : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, what: 'every retried event out' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${pool.dump()}`);
    });
    const dlq = await readAll(p.plan.steps[0]!.retry.dlq);
    const dlqOrigins = dlq.map(
      (r) =>
        r.headers.find((h) => h.key === 'weir.origin.partition')!.value.toString() +
        ':' +
        r.headers.find((h) => h.key === 'weir.origin.offset')!.value.toString(),
    );
    const dlqIds = (await decodeEvents(dlq)).map((e) => e.id);
    console.log(`kills ${pool.kills}; output ${out.length}, DLQ ${dlq.length}, retried ${flaky.length}`);
    expect(verifyOutput(out, expectedOut)).toEqual(CLEAN);
    expect(dlqIds.sort()).toEqual([...permanent].sort());
    expect(new Set(dlqOrigins).size).toBe(dlqOrigins.length);
    expect(out.filter((o) => permanent.includes(o.id))).toEqual([]);
    expect(await pool.stopAll()).toEqual([0, 0]);
  });
});
