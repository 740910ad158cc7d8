// The HTTP sink against a local receiver: idempotency keys from the input coordinates, 5xx and 429 retried
// through the chain, other 4xx to the DLQ with status and body; and a Redis rate limit shared by two
// processes holding the provider to 100 requests/s while 10k events wait.
import { afterEach, describe, expect, it } from 'vitest';
import { runSteps, type Running } from '../../src/cli/workers.ts';
import { rootLogger } from '../../src/observability/logger.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { eventRecords, makeEvents } from '../helpers/events.ts';
import { httpTopology, receiver } from '../helpers/http-server.ts';
import { produceAll, readAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { createPipeline } from '../helpers/pipeline.ts';
import { kafkaConnection, services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';
import { WorkerPool } from '../helpers/workers.ts';

let running: Running | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('http sink', () => {
  it('delivers each event with its idempotency key; retries 503 and 429 (after Retry-After); dead-letters 400 with status and body', async () => {
    const events = makeEvents(200, 20);
    const server = await receiver({
      failFirst: new Map([
        ...events.slice(0, 10).map((e): [string, [number, number]] => [e.id, [503, 1]]),
        ...events.slice(10, 13).map((e): [string, [number, number]] => [e.id, [429, 1]]),
      ]),
      reject: new Set(['e20', 'e21']),
      retryAfterSeconds: 1,
    });
    process.env.NOTIFY_URL = server.url;
    const p = await createPipeline(httpTopology({}));
    await produceAll(await eventRecords(p.topic('in'), events));
    const s = services();
    running = await runSteps({
      plan: p.plan,
      root: p.root,
      kafka: kafkaConnection('weir-http-test'),
      registry: new RegistryClient(s.SCHEMA_REGISTRY_URL),
      logger: rootLogger(),
      instanceId: 'test',
      redisUrl: s.REDIS_URL,
    });
    await waitFor(() => new Set(server.ok().map((r) => r.id)).size >= 198, { timeoutMs: 60_000, what: '198 events delivered' });
    const step = p.plan.steps[0]!;
    await waitForGroupCaughtUp(step.group, p.topic('in'));
    const delivered = server.ok();
    expect(new Set(delivered.map((r) => r.id)).size).toBe(198);
    // One key per event, the same on every attempt, and it is the event id.
    const keysById = new Map<string, Set<string>>();
    for (const r of server.received) keysById.set(r.id, (keysById.get(r.id) ?? new Set()).add(r.key));
    expect([...keysById.values()].every((k) => k.size === 1)).toBe(true);
    expect(new Set(delivered.map((r) => r.key)).size).toBe(198);
    expect(delivered[0]!.key).toMatch(new RegExp(`^${step.group.replaceAll('.', '\\.')}:in\\.${p.id}:\\d:\\d+$`));
    // 429 with Retry-After: 1 s waited at least that long before the next attempt.
    for (const e of events.slice(10, 13)) {
      const attempts = server.received.filter((r) => r.id === e.id);
      expect(attempts.map((a) => a.status)).toEqual([429, 200]);
      expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1_000);
    }
    const dlq = await waitFor(
      async () => {
        const d = await readAll(step.retry.dlq);
        return d.length >= 2 ? d : undefined;
      },
      { timeoutMs: 30_000, what: 'the rejected events in the DLQ' },
    );
    const h = Object.fromEntries(dlq[0]!.headers.map((x) => [x.key, x.value.toString()]));
    expect(h['weir.error.class']).toBe('HttpError');
    expect(h['weir.error.message']).toMatch(/^HTTP 400: \{"error":"order e2[01] is invalid"\}$/);
    expect(h['weir.attempt']).toBe('1');
  });
});

describe('rate limit shared through Redis', { timeout: 200_000 }, () => {
  it('two processes deliver at the provider limit of 100/s (±10 %) while 10k events wait, losing none', async () => {
    const server = await receiver();
    const p = await createPipeline(httpTopology({ partitions: 4, rate: 100 }));
    const events = makeEvents(10_000, 200);
    await produceAll(await eventRecords(p.topic('in'), events)); // the burst arrives at once
    const pool = new WorkerPool(p, { env: { NOTIFY_URL: server.url } });
    pool.start('a');
    pool.start('b');
    // Measure 30 s of steady state, after a few seconds of start-up.
    await waitFor(() => server.ok().length >= 300, { timeoutMs: 60_000, what: 'delivery to start' });
    const from = Date.now() + 2_000;
    await new Promise((r) => setTimeout(r, 32_000));
    const window = server.ok().filter((r) => r.at >= from && r.at < from + 30_000);
    const rate = window.length / 30;
    const byProcess = pool.history.map((w) => w.logs.filter((l) => l.msg === 'assigned').length);
    console.log(`rate over 30 s: ${rate.toFixed(1)}/s (${window.length} requests); both processes assigned: ${byProcess.join(', ')}`);
    expect(rate).toBeGreaterThanOrEqual(90);
    expect(rate).toBeLessThanOrEqual(110);
    // Both stop cleanly, although the group rebalances while they close (it once crashed one).
    expect(await pool.stopAll()).toEqual([0, 0]);
    // Nothing lost: everything not yet delivered is still unconsumed (lag), nothing went to the DLQ.
    expect(await readAll(p.plan.steps[0]!.retry.dlq)).toEqual([]);
    const delivered = server.ok();
    expect(new Set(delivered.map((r) => r.key)).size).toBe(delivered.length); // keys unique per event
    const { KafkaAdmin } = await import('../../src/kafka/admin.ts');
    const admin = KafkaAdmin.create(kafkaConnection());
    const committed = (await admin.groupOffsets(p.plan.steps[0]!.group))
      .filter((o) => o.topic === p.topic('in'))
      .reduce((n, o) => n + Math.max(0, o.offset), 0);
    admin.disconnect();
    expect(new Set(delivered.map((r) => r.id)).size).toBeGreaterThanOrEqual(committed); // every committed event was delivered
  });
});
