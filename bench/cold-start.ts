// How long `weir` takes to start, cold (a new process each time), against a bare `node -e 0`: the
// compiled CLI an installed package runs (dist/, no loader), and this checkout's TypeScript sources
// through tsx (bin/weir.js in a checkout) for comparison. Builds dist/ first when it is missing or
// older than src/. Commands alternate, N runs each, medians.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, type SuiteResult } from './report.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_REPEATS ?? 10);
/** weir --help, compiled, within this many bare Node starts. */
const TARGET = 3;

const COMMANDS = [
  { id: 'node', label: '`node -e 0`', argv: ['-e', '0'] },
  { id: 'help', label: '`weir --help`, compiled (`node dist/cli/main.js --help`)', argv: ['dist/cli/main.js', '--help'] },
  {
    id: 'helpDev',
    label: '`weir --help` from the sources with tsx (`node bin/weir.js --help` in a checkout)',
    argv: ['bin/weir.js', '--help'],
  },
  {
    id: 'validate',
    label: '`weir validate topology/orders.yaml`, compiled',
    argv: ['dist/cli/main.js', 'validate', 'topology/orders.yaml'],
  },
  {
    id: 'validateDev',
    label: '`weir validate topology/orders.yaml` from the sources with tsx',
    argv: ['bin/weir.js', 'validate', 'topology/orders.yaml'],
  },
] as const;
type Id = (typeof COMMANDS)[number]['id'];

function newestMtime(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newestMtime(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
}

function ensureBuild(): boolean {
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(ROOT, 'src'))) return false;
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
  return true;
}

/** Wall-clock ms of one process, from spawn to exit. */
function once(argv: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${argv.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export async function coldStartSuite(runs = RUNS): Promise<SuiteResult> {
  const built = ensureBuild();
  const load = loadavg()[0]!;
  // One unmeasured run each: the files are in the page cache for every measured run alike.
  for (const c of COMMANDS) once(c.argv);
  const samples = Object.fromEntries(COMMANDS.map((c) => [c.id, [] as number[]])) as Record<Id, number[]>;
  for (let i = 0; i < runs; i++) for (const c of COMMANDS) samples[c.id].push(once(c.argv));
  const ms = Object.fromEntries(COMMANDS.map((c) => [c.id, median(samples[c.id])])) as Record<Id, number>;
  const ratio = (id: Id) => ms[id] / ms.node;
  const met = ratio('help') <= TARGET;
  const data = {
    runs,
    loadAverage1m: load,
    builtFirst: built,
    medianMs: ms,
    ratioToNode: Object.fromEntries(COMMANDS.map((c) => [c.id, ratio(c.id)])),
    samples,
  };
  const markdown = `Wall-clock time from spawn to exit of a new process, against a bare \`node -e 0\`; commands alternate, ${runs} runs each after one unmeasured run, medians. Load average when the suite started: ${load.toFixed(2)} (other work on the machine inflates every figure; the ratios suffer less).

Target: \`weir --help\` compiled within ${TARGET} × a bare Node start — ${met ? 'met' : 'not met'} (${ratio('help').toFixed(2)} ×).

| | × \`node -e 0\` | median ms |
|---|---|---|
${COMMANDS.map((c) => `| ${c.label} | ${ratio(c.id).toFixed(2)} × | ${fmt(ms[c.id])} |`).join('\n')}
`;
  return { suite: 'cold-start', title: 'CLI cold start', markdown, data };
}
