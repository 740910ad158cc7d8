// Benchmark results: each suite's figures go into docs/performance.json (machine-readable) and its
// section of docs/performance.md, with the machine and date they came from. Ratios first.
import { cpus, totalmem } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface SuiteResult {
  suite: string;
  title: string;
  /** Markdown body: ratios first, then absolute figures. */
  markdown: string;
  data: unknown;
}

// Sections in reading order: weir against its Kafka Streams peer and the broker's ceiling, the
// headline ratio, where its time goes, then the other suites.
const ORDER = ['peer', 'clients', 'ceiling', 'profile', 'threads', 'latency', 'backlog', 'pipe', 'retry', 'postgres', 'serde'];
const rank = (suite: string) => (ORDER.includes(suite) ? ORDER.indexOf(suite) : ORDER.length);

const JSON_PATH = new URL('../docs/performance.json', import.meta.url);
const MD_PATH = new URL('../docs/performance.md', import.meta.url);

export function machine() {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
  };
}

export function saveResult(result: SuiteResult): void {
  const all = existsSync(JSON_PATH) ? (JSON.parse(readFileSync(JSON_PATH, 'utf8')) as Record<string, unknown>) : {};
  all[result.suite] = { machine: machine(), title: result.title, data: result.data, markdown: result.markdown };
  writeFileSync(JSON_PATH, JSON.stringify(all, null, 2) + '\n');
  const sections = Object.entries(all as Record<string, { machine: ReturnType<typeof machine>; title: string; markdown: string }>)
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(
      ([, s]) =>
        `## ${s.title}\n\n_Measured ${s.machine.date} on ${s.machine.cores} × ${s.machine.cpu}, ${s.machine.memoryGiB} GiB, Node ${s.machine.node}._\n\n${s.markdown.trim()}\n`,
    );
  writeFileSync(
    MD_PATH,
    `# Performance\n\n<!-- Written by \`npm run bench\` (bench/); each section is replaced when its suite runs. -->\n\nRatios compare two things measured in the same run on the same machine; absolute figures are only\nmeaningful for the machine named under each section.\n\n${sections.join('\n')}`,
  );
}

/** Runs `fn` `n` times after a warm-up and returns operations per second. */
export function opsPerSecond(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 20_000); i++) fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return n / seconds;
}

export const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
