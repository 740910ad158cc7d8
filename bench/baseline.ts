// This checkout's exactly-once pipe against another build of weir (BENCH_BASELINE: a checkout of an
// earlier commit with its node_modules, e.g. `git worktree add /tmp/weir-base <commit>`), on the same
// backlog in one run, alternating builds, batch 1 000 and 10 000: records/s and CPU ms per 1k records.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { measureDrain, pipeTopology, produceBacklog, project, weirRun } from './harness.ts';
import { fmt, type SuiteResult } from './report.ts';

const BATCHES = [1_000, 10_000];
const PARTITIONS = 6;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);

interface Sample {
  build: 'this' | 'baseline';
  batch: number;
  rate: number;
  cpuPer1k: number;
}

export async function baselineSuite(n = Number(process.env.BENCH_RECORDS ?? 200_000)): Promise<SuiteResult> {
  const dir = process.env.BENCH_BASELINE;
  if (!dir || !existsSync(join(dir, 'bin', 'weir.js')))
    throw new Error('BENCH_BASELINE must name a weir checkout with node_modules (git worktree add /tmp/weir-base <commit>)');
  const id = Date.now().toString(36);
  const input = `bench.base.in.${id}`;
  await project(pipeTopology({ pipeline: 'bench', step: 'setup', input, output: `bench.base.setup.${id}`, partitions: PARTITIONS }));
  await produceBacklog(input, n);
  const samples: Sample[] = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    for (const batch of BATCHES) {
      for (const build of ['baseline', 'this'] as const) {
        const step = `b-${build}-${batch}-${rep}`;
        const p = await project(
          pipeTopology({
            pipeline: 'bench',
            step,
            input,
            output: `bench.base.${step}.${id}`,
            partitions: PARTITIONS,
            options: [`batch: { records: ${batch}, bytes: 64MiB, time: 100ms }`, 'retry: { delays: [1m] }'],
          }),
        );
        const bin = build === 'this' ? undefined : join(dir, 'bin', 'weir.js');
        const { rate, cpuPer1k } = await measureDrain(() => weirRun(p, [], {}, bin), p.plan.steps[0]!.group, input, n);
        const s: Sample = { build, batch, rate, cpuPer1k };
        process.stdout.write(`  ${build} batch ${batch}: ${fmt(s.rate)}/s, ${s.cpuPer1k.toFixed(1)} ms CPU per 1k\n`);
        samples.push(s);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows = BATCHES.map((batch) => {
    const of = (build: Sample['build']) => samples.filter((s) => s.build === build && s.batch === batch);
    const [t, b] = [of('this'), of('baseline')];
    return {
      batch,
      thisRate: median(t.map((s) => s.rate)),
      baseRate: median(b.map((s) => s.rate)),
      thisCpu: median(t.map((s) => s.cpuPer1k)),
      baseCpu: median(b.map((s) => s.cpuPer1k)),
    };
  });
  const markdown = `${n.toLocaleString('en-US')} Avro records on ${PARTITIONS} partitions, decode → identity → encode, exactly-once; this build against \`${dir}\`, alternating, ${REPEATS} runs each (medians).

| batch | this / baseline | this records/s | baseline records/s | this CPU ms / 1k | baseline CPU ms / 1k |
|---|---|---|---|---|---|
${rows.map((r) => `| ${r.batch.toLocaleString('en-US')} | **${(r.thisRate / r.baseRate).toFixed(2)}** | ${fmt(r.thisRate)} | ${fmt(r.baseRate)} | ${r.thisCpu.toFixed(1)} | ${r.baseCpu.toFixed(1)} |`).join('\n')}
`;
  return {
    suite: 'baseline',
    title: 'This build against a baseline build (exactly-once pipe)',
    markdown,
    data: { records: n, baseline: dir, samples, rows },
  };
}
