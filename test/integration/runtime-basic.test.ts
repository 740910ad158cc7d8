// The worker on the real broker and registry: outputs exactly once with event ids and trace
// context; a poison pill goes to the DLQ with its bytes and does not stop the partition.
import { afterEach, describe, expect, it } from 'vitest';
import { rootLogger } from '../../src/observability/logger.ts';
import { runSteps, type Running } from '../../src/cli/workers.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { CLEAN, decodeEvents, eventRecords, makeEvents, verifyOutput } from '../helpers/events.ts';
import { produceAll, readAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { slowStats } from '../fixtures/project/transforms/events.ts';
import { createPipeline, transformTopology } from '../helpers/pipeline.ts';
import { kafkaConnection, services } from '../helpers/services.ts';

let running: Running | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(pipeline: Awaited<ReturnType<typeof createPipeline>>) {
  running = await runSteps({
    plan: pipeline.plan,
    root: pipeline.root,
    kafka: kafkaConnection('weir-runtime-test'),
    registry: new RegistryClient(services().SCHEMA_REGISTRY_URL),
    logger: rootLogger().child({ test: pipeline.id }),
    instanceId: 'test',
    sessionTimeoutMs: 6_000,
  });
}

describe('step worker', () => {
  it('transforms every input exactly once, with event ids; a traced input gets a child span, an untraced one no trace', async () => {
    const p = await createPipeline(transformTopology({}));
    const events = makeEvents(600, 20);
    // Every other input carries trace context (a made-up trace id per record, span id 1).
    const traceOf = (i: number) => (i % 2 === 0 ? i.toString(16).padStart(32, 'a') : undefined);
    const records = (await eventRecords(p.topic('in'), events)).map((r, i) =>
      traceOf(i) ? { ...r, headers: [{ key: 'traceparent', value: Buffer.from(`00-${traceOf(i)}-0000000000000001-01`) }] } : r,
    );
    await produceAll(records);
    await start(p);
    await waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'));
    const out = await readAll(p.topic('out'));
    const decoded = await decodeEvents(out);
    expect(verifyOutput(decoded, events)).toEqual(CLEAN);
    expect(decoded.every((e) => e.payload === '+tagged')).toBe(true);
    expect(decoded[0]!.eventId).toMatch(new RegExp(`^step-${p.id}:in\\.${p.id}:\\d:\\d+:0$`));
    const index = new Map(events.map((e, i) => [e.id, i]));
    decoded.forEach((e, n) => {
      const trace = traceOf(index.get(e.id)!);
      const written = out[n]!.headers.find((h) => h.key === 'traceparent')?.value.toString();
      if (trace === undefined) expect(written).toBeUndefined();
      else {
        expect(written).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-01$`));
        expect(written!.slice(36, 52)).not.toBe('0000000000000001');
      }
    });
  });

  it('a poison pill goes to the DLQ with its bytes intact; the partition keeps flowing', async () => {
    const p = await createPipeline(transformTopology({ partitions: 1 }));
    const events = makeEvents(50, 5);
    const good = await eventRecords(p.topic('in'), events);
    const garbage = Buffer.from('this is not avro', 'utf8');
    await produceAll([
      ...good.slice(0, 25),
      { topic: p.topic('in'), key: 'k0', value: garbage, headers: [{ key: 'origin', value: Buffer.from('test') }] },
      ...good.slice(25),
    ]);
    await start(p);
    await waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'));
    expect(verifyOutput(await decodeEvents(await readAll(p.topic('out'))), events)).toEqual(CLEAN);
    const dlq = await readAll(p.plan.steps[0]!.retry.dlq);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.value).toEqual(garbage);
    expect(dlq[0]!.key?.toString()).toBe('k0');
    const headers = Object.fromEntries(dlq[0]!.headers.map((h) => [h.key, h.value.toString()]));
    expect(headers).toMatchObject({
      origin: 'test',
      'weir.origin.topic': p.topic('in'),
      'weir.origin.offset': '25',
      'weir.error.class': 'DeserializationError',
      'weir.attempt': '1',
      'weir.step': `step-${p.id}`,
    });
  });

  it('empty is not null: a zero-length value and key reach the DLQ as zero-length, a tombstone as null', async () => {
    const p = await createPipeline(transformTopology({ partitions: 1 }));
    await produceAll([
      { topic: p.topic('in'), key: Buffer.alloc(0), value: Buffer.alloc(0) },
      { topic: p.topic('in'), key: null, value: null },
    ]);
    await start(p);
    await waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'));
    const dlq = await readAll(p.plan.steps[0]!.retry.dlq);
    const shape = (b: Buffer | null) => (b === null ? 'null' : `${b.length} bytes`);
    const reason = (i: number) => dlq[i]!.headers.find((h) => h.key === 'weir.error.message')?.value.toString();
    expect(dlq.map((r) => [shape(r.key), shape(r.value)])).toEqual([
      ['0 bytes', '0 bytes'],
      ['null', 'null'],
    ]);
    expect(reason(0)).toMatch(/no Confluent magic byte: 0 bytes/);
    expect(reason(1)).toMatch(/tombstone/);
  });
});

describe('built-in steps and key ordering', () => {
  it('filter, map and route expressions run with the same guarantees', async () => {
    const p = await createPipeline(
      (id) => `pipeline: b${id}
topics:
  in.${id}: { partitions: 2, value: schemas/Event.avsc }
  even.${id}: { partitions: 2, value: schemas/Event.avsc }
  mapped.${id}: { partitions: 2, value: json }
  low.${id}: { partitions: 2, value: schemas/Event.avsc }
  high.${id}: { partitions: 2, value: schemas/Event.avsc }
steps:
  even-${id}:
    input: in.${id}
    filter: seq % 2 = 0
    outputs: [even.${id}]
  mapped-${id}:
    input: in.${id}
    map: { id: id, double: seq * 2, tag: '"k=" & key' }
    outputs: [mapped.${id}]
  routed-${id}:
    input: in.${id}
    route: { by: 'seq <= 5 ? "low" : "high"', cases: { low: low.${id}, high: high.${id} } }
`,
    );
    const events = makeEvents(100, 10); // seq 1..10 per key
    await produceAll(await eventRecords(p.topic('in'), events));
    await start(p);
    for (const s of p.plan.steps) await waitForGroupCaughtUp(s.group, p.topic('in'));
    const even = await decodeEvents(await readAll(p.topic('even')));
    expect(
      verifyOutput(
        even,
        events.filter((e) => e.seq % 2 === 0),
      ),
    ).toEqual(CLEAN);
    expect(even).toHaveLength(50);
    const mapped = (await readAll(p.topic('mapped'))).map(
      (r) => JSON.parse(r.value!.toString()) as { id: string; double: number; tag: string },
    );
    expect(mapped).toHaveLength(100);
    expect(mapped.find((m) => m.id === 'e11')).toEqual({ id: 'e11', double: 4, tag: 'k=k1' });
    const low = await decodeEvents(await readAll(p.topic('low')));
    const high = await decodeEvents(await readAll(p.topic('high')));
    expect(
      verifyOutput(
        low,
        events.filter((e) => e.seq <= 5),
      ),
    ).toEqual(CLEAN);
    expect(
      verifyOutput(
        high,
        events.filter((e) => e.seq > 5),
      ),
    ).toEqual(CLEAN);
  });

  it('key ordering runs keys concurrently and keeps each key in order', async () => {
    const p = await createPipeline(
      transformTopology({ partitions: 1, transform: 'slow', extra: '    ordering: key\n    concurrency: 16\n' }),
    );
    process.env.SLOW_MS = '20';
    const events = makeEvents(400, 16);
    await produceAll(await eventRecords(p.topic('in'), events));
    slowStats.maxInFlight = 0;
    await start(p);
    await waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'));
    delete process.env.SLOW_MS;
    expect(verifyOutput(await decodeEvents(await readAll(p.topic('out'))), events)).toEqual(CLEAN);
    // One partition: only key ordering lets records run side by side, never more than `concurrency`.
    expect(slowStats.maxInFlight).toBeGreaterThan(1);
    expect(slowStats.maxInFlight).toBeLessThanOrEqual(16);
  });
});
