// End-to-end latency of the exactly-once pipe at a fixed input rate: producer send → `read_committed`
// receive per record. The latency suite runs it at 5 000 records/s with the default batch bounds, for
// this build and (with BENCH_BASELINE, see baseline.ts) a baseline build.
import { join } from 'node:path';
import { KafkaConsumer } from '../src/kafka/consumer.ts';
import { EVENT, eventEncoder, kafka, percentile, pipeTopology, producePaced, project, weirRun } from './harness.ts';
import { fmt, type SuiteResult } from './report.ts';

const PARTITIONS = 6;

export interface Latency {
  p50: number;
  p99: number;
  received: number;
  sent: number;
}

/** Produces at `rate`/s for `seconds` through a fresh step (`yaml(input, output, step)`), with the given weir build. */
export async function latency(
  id: string,
  rate: number,
  seconds: number,
  yaml: (input: string, output: string, step: string) => string,
  bin?: string,
): Promise<Latency> {
  const input = `bench.lat.in.${id}`;
  const output = `bench.lat.out.${id}`;
  const p = await project(yaml(input, output, `pipe-latency-${id}`));
  const worker = weirRun(p, [], {}, bin);
  await worker.assigned;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const consumer = await KafkaConsumer.connect(kafka(), { name: 'bench-latency', groupId: `bench-lat-${id}`, isolation: 'read_committed' });
  consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: output, partition, offset: -2 })));
  let reading = true;
  const reader = (async () => {
    while (reading) {
      for (const r of await consumer.consume(5_000, 50)) {
        const sent = sentAt.get((EVENT.type.fromBuffer(r.value!.subarray(5)) as { id: string }).id);
        if (sent !== undefined) latencies.push(Date.now() - sent);
      }
    }
  })();
  const total = await producePaced(await eventEncoder(input), rate, seconds, (i) => sentAt.set(`e${i}`, Date.now()));
  const deadline = Date.now() + 30_000;
  while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  reading = false;
  await reader;
  await consumer.disconnect();
  await worker.stop();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), received: latencies.length, sent: total };
}

const RATE = 5_000;
const SECONDS = 20;

export async function latencySuite(): Promise<SuiteResult> {
  const id = Date.now().toString(36);
  const yaml = (input: string, output: string, step: string) =>
    pipeTopology({ pipeline: 'bench', step, input, output, partitions: PARTITIONS, options: ['retry: { delays: [1m] }'] });
  const base = process.env.BENCH_BASELINE;
  const rows: Array<{ build: string } & Latency> = [];
  for (const [build, bin] of [...(base ? [['baseline', join(base, 'bin', 'weir.js')] as const] : []), ['this', undefined] as const]) {
    process.stdout.write(`  ${build} at ${fmt(RATE)}/s … `);
    const r = await latency(`${id}-${build}`, RATE, SECONDS, yaml, bin);
    process.stdout.write(`p50 ${r.p50} ms, p99 ${r.p99} ms\n`);
    rows.push({ build, ...r });
  }
  const markdown = `The exactly-once pipe (identity transform, default batch bounds: 500 records / 1 MiB / 100 ms) under a steady ${fmt(RATE)} records/s for ${SECONDS} s on ${PARTITIONS} partitions; latency = producer send → \`read_committed\` receive of each record.${base ? ` Baseline: \`${base}\`.` : ''}

| build | p50 | p99 | received |
|---|---|---|---|
${rows.map((r) => `| ${r.build} | ${r.p50} ms | **${r.p99} ms** | ${r.received}/${r.sent} |`).join('\n')}
`;
  return { suite: 'latency', title: 'End-to-end latency at a fixed rate', markdown, data: { rate: RATE, seconds: SECONDS, rows } };
}
