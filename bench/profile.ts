// Where the exactly-once pipe's time goes: the EOS worker (batch 1 000) drains a backlog under
// `node --cpu-prof`; self time is grouped by stage (the file a function lives in) and by function.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drained, pipeTopology, produceBacklog, project, spawnProc } from './harness.ts';
import { type SuiteResult } from './report.ts';

const PARTITIONS = 6;
const WEIR = fileURLToPath(new URL('../bin/weir.js', import.meta.url));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The stage a function belongs to, judged by where its code lives. */
export function stageOf(frame: ProfileNode['callFrame']): string {
  const { functionName: f, url } = frame;
  if (f === '(garbage collector)') return 'garbage collection';
  if (f === '(idle)') return 'idle (waiting on the broker)';
  if (f === '(program)') return 'native (librdkafka binding, V8)';
  if (url.includes('/node_modules/avsc/') || url.includes('/src/schema/')) return 'Avro decode/encode';
  if (url.includes('/node_modules/@confluentinc/') || url.includes('/src/kafka/')) return 'Kafka client (JS side)';
  if (url.includes('/node_modules/pino') || url.includes('/src/observability/') || url.includes('/node_modules/prom-client/'))
    return 'logs and metrics';
  if (url.includes('/src/runtime/') || url.includes('/src/retry/') || url.includes('/transforms/')) return 'weir runtime and transform';
  if (url.startsWith('node:') || url === '') return 'Node.js internals';
  return 'other';
}

export function summarize(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const stages = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const stage = stageOf(node.callFrame);
    stages.set(stage, (stages.get(stage) ?? 0) + us);
    // tsx-compiled sources report line 1 for everything: name the file only.
    const line = node.callFrame.lineNumber > 0 ? `:${node.callFrame.lineNumber + 1}` : '';
    const where = node.callFrame.url ? `${node.callFrame.url.split('/').slice(-2).join('/')}${line}` : '';
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${where}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  });
  const share = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, share: us / total }));
  return { totalMs: total / 1000, stages: share(stages, 20), functions: share(functions, 10) };
}

export async function profileSuite(n = 200_000): Promise<SuiteResult> {
  const id = Date.now().toString(36);
  const [input, output] = [`bench.profile.in.${id}`, `bench.profile.out.${id}`];
  const p = await project(
    pipeTopology({
      pipeline: 'bench-profile',
      step: 'profile',
      input,
      output,
      partitions: PARTITIONS,
      options: ['batch: { records: 1000, bytes: 64MiB, time: 100ms }'],
    }),
  );
  await produceBacklog(input, n);
  const dir = mkdtempSync(join(tmpdir(), 'weir-profile-'));
  const worker = spawnProc(['--cpu-prof', '--cpu-prof-dir', dir, WEIR, 'run', p.file, '--instance-id', 'bench']);
  await worker.assigned;
  await drained(p.plan.steps[0]!.group, input);
  await worker.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile written to ${dir}`);
  const summary = summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
  const busy = summary.stages.filter((s) => !s.name.startsWith('idle'));
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const markdown = `The exactly-once pipe (identity transform, batch 1 000) draining ${n.toLocaleString('en-US')} records under \`node --cpu-prof\`, ${(summary.totalMs / 1000).toFixed(1)} s of samples. Self time by stage; the slowest stage is **${busy[0]?.name}** (${pct(busy[0]?.share ?? 0)}).

| stage | share of samples |
|---|---|
${summary.stages.map((s) => `| ${s.name} | ${pct(s.share)} |`).join('\n')}

Top functions by self time:

| function | share |
|---|---|
${summary.functions.map((f) => `| \`${f.name}\` | ${pct(f.share)} |`).join('\n')}

Profile: \`${join(dir, file)}\` (open in Chrome DevTools → Performance).
`;
  return { suite: 'profile', title: 'Where the exactly-once pipe spends its time', markdown, data: { records: n, ...summary } };
}
