// Retry delay lateness: how long after its due time (`weir.due`) a retry-tier record is processed,
// while the step also carries a steady input load. Every 20th record is retried once (tier 1 s),
// every other 20th twice (tiers 1 s then 5 s); the transform writes its lateness into the output.
import { eventEncoder, percentile, pipeTopology, producePaced, project, readEvents, weirRun } from './harness.ts';
import { fmt, type SuiteResult } from './report.ts';

const PARTITIONS = 6;
const DELAYS = ['1s', '5s'];

const topology = (input: string, output: string) =>
  pipeTopology({
    pipeline: 'bench-retry',
    step: 'retry-late',
    input,
    output,
    partitions: PARTITIONS,
    transform: 'transforms/retry.ts#retryLate',
    options: [`retry: { delays: [${DELAYS.join(', ')}] }`],
  });

export async function retrySuite(rate = Number(process.env.BENCH_RETRY_RATE ?? 2_000), seconds = 20): Promise<SuiteResult> {
  const id = Date.now().toString(36);
  const [input, output] = [`bench.retry.in.${id}`, `bench.retry.out.${id}`];
  const p = await project(topology(input, output));
  const worker = weirRun(p);
  await worker.assigned;
  process.stdout.write(`  producing ${fmt(rate)}/s for ${seconds} s … `);
  const sent = await producePaced(await eventEncoder(input), rate, seconds);
  const events = await readEvents(output, PARTITIONS, sent, 60_000);
  await worker.stop();
  const byTier = DELAYS.map((delay, i) => {
    const late = events
      .filter((e) => e.payload.startsWith(`${i + 2}:`))
      .map((e) => Number(e.payload.split(':')[1]))
      .sort((a, b) => a - b);
    return {
      tier: i + 1,
      delay,
      samples: late.length,
      p50: percentile(late, 50),
      p99: percentile(late, 99),
      max: late.at(-1) ?? NaN,
      early: late.filter((l) => l < 0).length,
    };
  });
  process.stdout.write(`${events.length}/${sent} records out\n`);
  const data = { rate, seconds, sent, received: events.length, tiers: byTier };
  const markdown = `A step with retry tiers [${DELAYS.join(', ')}] under a steady ${fmt(rate)} records/s input for ${seconds} s (${PARTITIONS} partitions, default batch bounds); every 20th record fails once, another 20th twice. Lateness = processing time − \`weir.due\`.

| tier | delay | lateness p50 | p99 | max | early | samples |
|---|---|---|---|---|---|---|
${byTier.map((t) => `| ${t.tier} | ${t.delay} | **${t.p50} ms** | ${t.p99} ms | ${t.max} ms | ${t.early} | ${t.samples} |`).join('\n')}

${events.length} of ${sent} records reached the output.
`;
  return { suite: 'retry', title: 'Retry delay lateness', markdown, data };
}
