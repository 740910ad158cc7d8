// Where the exactly-once pipe's time goes: the EOS worker (batch 10 000) drains a backlog under
// `node --cpu-prof`; self time is grouped by stage (the file a function lives in) and by function.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drained, pipeTopology, produceBacklog, project, shebangOptions, spawnProc } from './harness.ts';
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

async function profileBuild(bin: string, input: string, tag: string) {
  const p = await project(
    pipeTopology({
      pipeline: 'bench-profile',
      step: `profile-${tag}`,
      input,
      output: `${input}.out.${tag}`,
      partitions: PARTITIONS,
      options: ['batch: { records: 10000, bytes: 64MiB, time: 100ms }'],
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'weir-profile-'));
  const worker = spawnProc([...shebangOptions(bin), '--cpu-prof', '--cpu-prof-dir', dir, bin, 'run', p.file, '--instance-id', 'bench']);
  await worker.assigned;
  await drained(p.plan.steps[0]!.group, input);
  await worker.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no CPU profile written to ${dir}`);
  return { path: join(dir, file), ...summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile) };
}

/**
 * The EOS worker's main thread under `node --cpu-prof` draining a backlog (batch 10 000); with
 * BENCH_BASELINE (another checkout, see baseline.ts) the baseline build drains the same backlog
 * first, and the stage table shows both in ms of samples per 1k records.
 */
export async function profileSuite(n = Number(process.env.BENCH_RECORDS ?? 200_000)): Promise<SuiteResult> {
  const id = Date.now().toString(36);
  const input = `bench.profile.in.${id}`;
  await project(pipeTopology({ pipeline: 'bench-profile', step: 'setup', input, output: `${input}.setup`, partitions: PARTITIONS }));
  await produceBacklog(input, n);
  const base = process.env.BENCH_BASELINE;
  const before = base ? await profileBuild(join(base, 'bin', 'weir.js'), input, 'baseline') : undefined;
  const after = await profileBuild(WEIR, input, 'this');
  const perK = (share: number | undefined, totalMs: number) => (share === undefined ? '–' : ((share * totalMs) / (n / 1000)).toFixed(2));
  const stageNames = [...new Set([...after.stages, ...(before?.stages ?? [])].map((s) => s.name))];
  const find = (r: typeof after | undefined, name: string) => r?.stages.find((s) => s.name === name)?.share;
  const busyMs = (r: typeof after) => r.totalMs * (1 - (find(r, 'idle (waiting on the broker)') ?? 0));
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const markdown = `The exactly-once pipe's worker (identity transform, batch 10 000) draining ${n.toLocaleString('en-US')} records under \`node --cpu-prof\` (its main thread: librdkafka's own threads are not sampled; start-up is included).${before ? ` Before: \`${base}\`; after: this build; the same backlog.` : ''} Self time by stage, in ms of samples per 1k records.

| stage | ${before ? 'before | ' : ''}${before ? 'after' : 'ms per 1k'} |
|---|${before ? '---|' : ''}---|
${stageNames.map((name) => `| ${name} | ${before ? `${perK(find(before, name), before.totalMs)} | ` : ''}${perK(find(after, name), after.totalMs)} |`).join('\n')}
| **busy (all but idle)** | ${before ? `**${(busyMs(before) / (n / 1000)).toFixed(1)}** | ` : ''}**${(busyMs(after) / (n / 1000)).toFixed(1)}** |

Top functions by self time${before ? ' (after)' : ''}:

| function | share |
|---|---|
${after.functions.map((f) => `| \`${f.name}\` | ${pct(f.share)} |`).join('\n')}

Profile: \`${after.path}\`${before ? `, before: \`${before.path}\`` : ''} (open in Chrome DevTools → Performance).
`;
  return {
    suite: 'profile',
    title: 'Where the exactly-once pipe spends its time',
    markdown,
    data: { records: n, after, ...(before ? { before, baseline: base } : {}) },
  };
}
