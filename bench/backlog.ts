// Memory under a backlog: an exactly-once worker (default batch bounds) started on 100k and on 1M
// waiting records. If the worker's memory is bounded by its batch and fetch-queue limits, not by
// the backlog, both peaks are about the same.
import { drained, pipeTopology, produceBacklog, project, weirRun } from './harness.ts';
import { fmt, type SuiteResult } from './report.ts';

const PARTITIONS = 6;
const BACKLOGS = [100_000, Number(process.env.BENCH_BACKLOG ?? 1_000_000)];

const topology = (input: string, output: string) =>
  pipeTopology({ pipeline: 'bench-backlog', step: 'backlog', input, output, partitions: PARTITIONS });

interface Drain {
  backlog: number;
  peakRssMiB: number;
  seconds: number;
  rate: number;
}

async function drain(id: string, backlog: number): Promise<Drain> {
  const [input, output] = [`bench.backlog.in.${id}.${backlog}`, `bench.backlog.out.${id}.${backlog}`];
  const p = await project(topology(input, output));
  process.stdout.write(`  ${fmt(backlog)} records: producing … `);
  await produceBacklog(input, backlog);
  process.stdout.write('draining … ');
  const worker = weirRun(p);
  await worker.assigned;
  const t0 = Date.now();
  const t1 = await drained(p.plan.steps[0]!.group, input);
  const peakRssMiB = worker.peakRssMiB();
  await worker.stop();
  const seconds = (t1 - t0) / 1000;
  process.stdout.write(`${seconds.toFixed(1)} s, peak RSS ${peakRssMiB.toFixed(0)} MiB\n`);
  return { backlog, peakRssMiB, seconds, rate: backlog / seconds };
}

export async function backlogSuite(): Promise<SuiteResult> {
  const id = Date.now().toString(36);
  const runs: Drain[] = [];
  for (const backlog of BACKLOGS) runs.push(await drain(id, backlog));
  const [small, big] = [runs[0]!, runs.at(-1)!];
  const markdown = `An exactly-once worker (identity transform, default batch: 500 records / 1 MiB / 100 ms; fetch queue capped at 16 MiB) started on a waiting backlog of ≈100 B Avro records on ${PARTITIONS} partitions.

- Peak RSS with ${fmt(big.backlog)} waiting / with ${fmt(small.backlog)} waiting: **${(big.peakRssMiB / small.peakRssMiB).toFixed(2)} ×** — memory follows the batch and fetch bounds, not the backlog.

| backlog | peak RSS | drain time | records/s |
|---|---|---|---|
${runs.map((r) => `| ${fmt(r.backlog)} | **${r.peakRssMiB.toFixed(0)} MiB** | ${r.seconds.toFixed(1)} s | ${fmt(r.rate)} |`).join('\n')}
`;
  return { suite: 'backlog', title: 'Memory under a 1M-record backlog', markdown, data: { partitions: PARTITIONS, runs } };
}
