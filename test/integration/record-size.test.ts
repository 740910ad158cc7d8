// Records larger than the broker default on the real broker: a 1.5 MB record on topics that allow
// 3 MB passes through; one whose output topic refuses it goes to the DLQ with its bytes intact
// (the DLQ accepts what the input accepts) and the records behind it in its partition flow on.
// A limit lowered after the worker started (so it cannot foresee the refusal): the batch aborts
// until the step isolates the record, /readyz reports the stalled partition in between, then the
// record is in the DLQ, the partition flows on and /readyz is ready again.
import { afterEach, describe, expect, it } from 'vitest';
import type { Running } from '../../src/cli/workers.ts';
import { startSteps } from '../helpers/steps.ts';
import { alterTopicConfigs, describeTopicConfigs } from '../../src/kafka/topic-configs.ts';
import { serveEndpoints, type Endpoints } from '../../src/observability/server.ts';
import { produceAll, readAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { createPipeline } from '../helpers/pipeline.ts';
import { kafkaConnection } from '../helpers/services.ts';

let running: Running | undefined;
let endpoints: Endpoints | undefined;
afterEach(async () => {
  await endpoints?.close();
  await running?.stop();
  running = undefined;
  endpoints = undefined;
});

/** Polls until `check` holds; fails naming `what` after `timeoutMs`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const THREE_MB = 3 * 1024 * 1024;
const copy =
  (outputLimit: number, extra = '') =>
  (id: string) => `pipeline: z${id}
topics:
  in.${id}: { partitions: 1, value: json, config: { max.message.bytes: "${THREE_MB}" } }
  out.${id}: { partitions: 1, value: json, config: { max.message.bytes: "${outputLimit}" } }
steps:
  copy-${id}:
    input: in.${id}
    map: "$"
    outputs: [out.${id}]${extra}
`;

const json = (id: string, padBytes: number) => Buffer.from(JSON.stringify({ id, pad: 'x'.repeat(padBytes) }));

async function run(yaml: (id: string) => string) {
  const p = await createPipeline(yaml);
  const big = json('big', 1_500_000);
  await produceAll([
    { topic: p.topic('in'), partition: 0, key: 'a', value: json('before', 10) },
    { topic: p.topic('in'), partition: 0, key: 'b', value: big },
    { topic: p.topic('in'), partition: 0, key: 'c', value: json('after', 10) },
  ]);
  running = await startSteps(p, 'weir-size-test');
  await waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'), 60_000);
  const ids = (records: Array<{ value: Buffer | null }>) => records.map((r) => (JSON.parse(r.value!.toString()) as { id: string }).id);
  return { p, big, ids };
}

describe('records larger than the broker default', { timeout: 120_000 }, () => {
  it('a 1.5 MB record passes through when the output allows 3 MB', async () => {
    const { p, big, ids } = await run(copy(THREE_MB));
    const out = await readAll(p.topic('out'));
    expect(ids(out)).toEqual(['before', 'big', 'after']);
    expect(out[1]!.value!.equals(big)).toBe(true);
    expect(await readAll(p.plan.steps[0]!.retry.dlq)).toEqual([]);
  });

  it('an output its topic refuses sends its input to the DLQ, bytes intact; the partition flows on', async () => {
    const { p, big, ids } = await run(copy(1_048_588));
    expect(ids(await readAll(p.topic('out')))).toEqual(['before', 'after']);
    const dlq = await readAll(p.plan.steps[0]!.retry.dlq);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.value!.equals(big)).toBe(true);
    const header = (k: string) => dlq[0]!.headers.find((h) => h.key === k)?.value.toString();
    expect(header('weir.error.class')).toBe('RecordTooLarge');
    expect(header('weir.error.message')).toMatch(/exceeds max\.message\.bytes 1048588 of topic out\./);
  });

  it('a limit lowered after the start: the batch aborts, /readyz reports the stall, the record is isolated to the DLQ, the partition flows on', async () => {
    // A shorter transaction timeout: a commit whose records wait behind a refused one gives up sooner.
    const p = await createPipeline(copy(THREE_MB, '\n    timeout: 2s\n    transactionTimeout: 10s'));
    const out = p.topic('out');
    const dlqTopic = p.plan.steps[0]!.retry.dlq;
    await produceAll([{ topic: p.topic('in'), partition: 0, key: 'w', value: json('warm', 10) }]);
    running = await startSteps(p, 'weir-size-test', { stallAfterMs: 1_000, isolateAfter: 2 });
    const workers = running.workers;
    endpoints = await serveEndpoints(0, () => workers.map((w) => w.status()), '127.0.0.1');
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${endpoints!.port}/readyz`);
      return { status: res.status, body: (await res.json()) as { workers: Array<{ stalled: Array<{ partition: number; lag: number }> }> } };
    };
    await waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'), 60_000);
    // The worker read 3 MB at its start; the output now refuses more than 1 MB. Probe until the
    // broker applies it (probes are told apart by their id).
    await alterTopicConfigs(kafkaConnection(), new Map([[out, { 'max.message.bytes': '1048588' }]]));
    await waitFor('the lowered limit applies', async () => {
      const limit = (await describeTopicConfigs(kafkaConnection(), [out])).get(out)?.get('max.message.bytes')?.value;
      if (limit !== '1048588') return undefined;
      return produceAll([{ topic: out, partition: 0, key: 'p', value: json('probe', 1_500_000) }]).then(
        () => undefined,
        () => true,
      );
    });
    const big = json('big', 1_500_000);
    await produceAll([
      { topic: p.topic('in'), partition: 0, key: 'a', value: json('before', 10) },
      { topic: p.topic('in'), partition: 0, key: 'b', value: big },
      { topic: p.topic('in'), partition: 0, key: 'c', value: json('after', 10) },
    ]);
    const stalled = await waitFor('/readyz reports the stalled partition', async () => {
      const r = await readyz();
      return r.status === 503 && r.body.workers[0]!.stalled.length > 0 ? r.body.workers[0]!.stalled : undefined;
    });
    expect(stalled[0]).toMatchObject({ partition: 0 });
    expect(stalled[0]!.lag).toBeGreaterThan(0);
    await waitForGroupCaughtUp(p.plan.steps[0]!.group, p.topic('in'), 60_000);
    const ids = (records: Array<{ value: Buffer | null }>) =>
      records.map((r) => (JSON.parse(r.value!.toString()) as { id: string }).id).filter((id) => id !== 'probe');
    expect(ids(await readAll(out))).toEqual(['warm', 'before', 'after']);
    const dlq = await readAll(dlqTopic);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.value!.equals(big)).toBe(true);
    const header = (k: string) => dlq[0]!.headers.find((h) => h.key === k)?.value.toString();
    expect(header('weir.error.class')).toBe('RecordTooLarge');
    expect(header('weir.error.message')).toMatch(/Message size too large/);
    await waitFor('/readyz is ready again', async () => ((await readyz()).status === 200 ? true : undefined));
  });
});
