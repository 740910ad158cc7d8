// Records larger than the broker default on the real broker: a 1.5 MB record on topics that allow
// 3 MB passes through; one whose output topic refuses it goes to the DLQ with its bytes intact
// (the DLQ accepts what the input accepts) and the records behind it in its partition flow on.
import { afterEach, describe, expect, it } from 'vitest';
import { runSteps, type Running } from '../../src/cli/workers.ts';
import { rootLogger } from '../../src/observability/logger.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { produceAll, readAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { createPipeline } from '../helpers/pipeline.ts';
import { kafkaConnection, services } from '../helpers/services.ts';

let running: Running | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const THREE_MB = 3 * 1024 * 1024;
const copy = (outputLimit: number) => (id: string) => `pipeline: z${id}
topics:
  in.${id}: { partitions: 1, value: json, config: { max.message.bytes: "${THREE_MB}" } }
  out.${id}: { partitions: 1, value: json, config: { max.message.bytes: "${outputLimit}" } }
steps:
  copy-${id}:
    input: in.${id}
    map: "$"
    outputs: [out.${id}]
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
  running = await runSteps({
    plan: p.plan,
    root: p.root,
    kafka: kafkaConnection('weir-size-test'),
    registry: new RegistryClient(services().SCHEMA_REGISTRY_URL),
    logger: rootLogger().child({ test: p.id }),
    instanceId: 'test',
    sessionTimeoutMs: 6_000,
  });
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
});
