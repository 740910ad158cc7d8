// Thread scaling: one exactly-once step (batch 10 000) with `threads: 1` and `threads: 2` draining
// the same backlog, alternating, BENCH_REPEATS times; records/s from assignment to drained, and CPU
// ms per 1k records of all the step's processes. The broker runs on the same cores.
import { cpus } from 'node:os';
import { measureDrain, pipeTopology, produceBacklog, project, weirRun } from './harness.ts';
import { fmt, type SuiteResult } from './report.ts';

const PARTITIONS = 6;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const THREADS = [1, 2];

interface Sample {
  threads: number;
  rate: number;
  cpuPer1k: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function threadsSuite(n = Number(process.env.BENCH_RECORDS ?? 1_000_000)): Promise<SuiteResult> {
  const id = Date.now().toString(36);
  const input = `bench.threads.in.${id}`;
  await project(pipeTopology({ pipeline: 'bench', step: 'setup', input, output: `bench.threads.setup.${id}`, partitions: PARTITIONS }));
  process.stdout.write(`  producing ${n.toLocaleString('en-US')} records … `);
  await produceBacklog(input, n);
  process.stdout.write('done\n');
  const samples: Sample[] = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const threads of rep % 2 === 0 ? THREADS : [...THREADS].reverse()) {
      const step = `t${threads}-${rep}`;
      const p = await project(
        pipeTopology({
          pipeline: 'bench',
          step,
          input,
          output: `bench.threads.${step}.${id}`,
          partitions: PARTITIONS,
          options: ['batch: { records: 10000, bytes: 64MiB, time: 100ms }', 'retry: { delays: [1m] }', `threads: ${threads}`],
        }),
      );
      const { rate, cpuPer1k } = await measureDrain(() => weirRun(p), p.plan.steps[0]!.group, input, n);
      const s = { threads, rate, cpuPer1k };
      process.stdout.write(`  threads ${threads}: ${fmt(s.rate)}/s, ${s.cpuPer1k.toFixed(1)} ms CPU per 1k\n`);
      samples.push(s);
    }
  }
  const rows = THREADS.map((threads) => {
    const of = samples.filter((s) => s.threads === threads);
    return { threads, rate: median(of.map((s) => s.rate)), cpuPer1k: median(of.map((s) => s.cpuPer1k)) };
  });
  const one = rows[0]!.rate;
  const markdown = `${n.toLocaleString('en-US')} Avro records on ${PARTITIONS} partitions, decode → identity → encode, exactly-once, batch 10 000; one \`weir run\` with the step's \`threads:\` set to 1 and 2, alternating, ${REPEATS} runs each (medians). The machine has ${cpus().length} cores and the broker runs on them too: a second thread competes with the broker for the same cores.

| threads | records/s | scaling | CPU ms per 1k records (all processes) |
|---|---|---|---|
${rows.map((r) => `| ${r.threads} | ${fmt(r.rate)} | **${(r.rate / one).toFixed(2)} ×** | ${r.cpuPer1k.toFixed(1)} |`).join('\n')}
`;
  return { suite: 'threads', title: 'Thread scaling (`threads:`)', markdown, data: { records: n, samples, rows } };
}
