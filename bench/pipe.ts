// EOS pipe (decode → identity transform → encode, one transaction per batch) vs a raw at-least-once
// pipe on the same client (bytes in → bytes out), batch sizes 100 / 1 000 / 10 000, in one run;
// then end-to-end latency of the EOS pipe at half its best rate, and each worker's peak RSS.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { KafkaAdmin } from '../src/kafka/admin.ts';
import { measureDrain, kafka, pipeTopology, produceBacklog, project, settings, spawnProc, weirRun } from './harness.ts';
import { latency } from './latency.ts';
import { fmt, type SuiteResult } from './report.ts';

const BATCHES = [100, 1_000, 10_000];
const PARTITIONS = 6;
const TSX = createRequire(import.meta.url).resolve('tsx/esm');
const RAW_PIPE = fileURLToPath(new URL('./raw-pipe.ts', import.meta.url));

const topology = (input: string, output: string, step: string, batch: number) =>
  pipeTopology({
    pipeline: 'bench',
    step,
    input,
    output,
    partitions: PARTITIONS,
    options: [`batch: { records: ${batch}, bytes: 64MiB, time: 100ms }`, 'retry: { delays: [1m] }'],
  });

interface Run {
  rate: number;
  rssMiB: number;
}

async function measure(start: () => ReturnType<typeof spawnProc>, group: string, input: string, n: number): Promise<Run> {
  const { rate, rssMiB } = await measureDrain(start, group, input, n);
  return { rate, rssMiB };
}

async function rawRun(id: string, input: string, batch: number, n: number): Promise<Run> {
  const output = `bench.raw.${id}.${batch}`;
  const admin = KafkaAdmin.create(kafka());
  await admin.createTopics([{ name: output, partitions: PARTITIONS }]);
  admin.disconnect();
  const group = `bench-raw-${id}-${batch}`;
  return measure(
    () => spawnProc(['--import', TSX, RAW_PIPE, settings().KAFKA_BOOTSTRAP_SERVERS, input, output, group, String(batch)]),
    group,
    input,
    n,
  );
}

async function weirRunFor(id: string, input: string, batch: number, n: number, delivery: 'exactly-once' | 'at-least-once'): Promise<Run> {
  const tag = `${delivery === 'exactly-once' ? 'eos' : 'alo'}${batch}`;
  const p = await project(topology(input, `bench.${tag}.${id}`, `pipe-${tag}`, batch));
  return measure(() => weirRun(p, ['--delivery', delivery]), p.plan.steps[0]!.group, input, n);
}

export async function pipeSuite(n = Number(process.env.BENCH_RECORDS ?? 200_000)): Promise<SuiteResult> {
  const id = Date.now().toString(36);
  const input = `bench.in.${id}`;
  await project(topology(input, `bench.eos-setup.${id}`, 'pipe-setup', 100)); // creates the input, registers its schema
  await produceBacklog(input, n);
  const rows: Array<{ batch: number; raw: Run; eos: Run }> = [];
  for (const batch of BATCHES) {
    process.stdout.write(`  batch ${batch}: raw … `);
    const raw = await rawRun(id, input, batch, n);
    process.stdout.write(`${fmt(raw.rate)}/s, eos … `);
    const eos = await weirRunFor(id, input, batch, n, 'exactly-once');
    process.stdout.write(`${fmt(eos.rate)}/s\n`);
    rows.push({ batch, raw, eos });
  }
  const best = rows.reduce((a, b) => (b.eos.rate / b.raw.rate > a.eos.rate / a.raw.rate ? b : a));
  const fastest = rows.reduce((a, b) => (b.eos.rate > a.eos.rate ? b : a));
  process.stdout.write(`  at-least-once weir at batch ${fastest.batch} … `);
  const alo = await weirRunFor(id, input, fastest.batch, n, 'at-least-once');
  process.stdout.write(`${fmt(alo.rate)}/s\n  latency at ${fmt(fastest.eos.rate / 2)}/s … `);
  const lat = await latency(id, fastest.eos.rate / 2, 15, (input, output, step) => topology(input, output, step, fastest.batch));
  process.stdout.write(`p50 ${lat.p50} ms, p99 ${lat.p99} ms\n`);
  const data = {
    records: n,
    partitions: PARTITIONS,
    rows,
    alo: { batch: fastest.batch, ...alo },
    latency: { batch: fastest.batch, rate: fastest.eos.rate / 2, ...lat },
  };
  const markdown = `${n.toLocaleString('en-US')} Avro records (≈100 B) on ${PARTITIONS} partitions, each pipe a separate process on the local single-node broker.

| batch | EOS / raw | EOS records/s | raw records/s | EOS peak RSS | raw peak RSS |
|---|---|---|---|---|---|
${rows.map((r) => `| ${r.batch.toLocaleString('en-US')} | **${(r.eos.rate / r.raw.rate).toFixed(2)}** | ${fmt(r.eos.rate)} | ${fmt(r.raw.rate)} | ${r.eos.rssMiB.toFixed(0)} MiB | ${r.raw.rssMiB.toFixed(0)} MiB |`).join('\n')}

- Best EOS/raw ratio: **${(best.eos.rate / best.raw.rate).toFixed(2)}** at batch ${best.batch.toLocaleString('en-US')}.
- Where the difference goes, at batch ${fastest.batch.toLocaleString('en-US')}: weir at-least-once (decode → transform → encode, no transaction) ${fmt(alo.rate)}/s = ${(alo.rate / fastest.raw.rate).toFixed(2)} × raw; transactions take it to ${(fastest.eos.rate / alo.rate).toFixed(2)} × of that.
- End-to-end latency of the EOS pipe (batch ${fastest.batch.toLocaleString('en-US')}) at ${fmt(fastest.eos.rate / 2)} records/s, producer send → \`read_committed\` receive: **p50 ${lat.p50} ms, p99 ${lat.p99} ms** (${lat.received}/${lat.sent} records).
`;
  return { suite: 'pipe', title: 'Exactly-once pipe vs raw at-least-once pipe', markdown, data };
}
