// The suite's results. Full-size runs (`npm run test:faults`) append one entry per scenario and
// repetition to docs/reliability.json and rewrite docs/reliability.md from all entries, so the full
// run can be made in parts (WEIR_FAULTS_ONLY) and a part run again replaces that part: the newest
// `repetitions` entries of each scenario are the ones reported. `npm test` (short) writes nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { Check } from './invariants.ts';

export interface ScenarioResult {
  scenario: string;
  fault: string;
  seed: number;
  records: number;
  faults: number;
  aborted: number;
  slowestRecoveryMs: number;
  httpRedeliveries: number;
  seconds: number;
  checks: Check[];
  pass: boolean;
  /** The self-check passes when the exactly-once checks fail. */
  expectFailure?: boolean;
  /** When, where and on which commit it ran (set by recordResult). */
  date?: string;
  machine?: string;
  commit?: string;
}

interface Store {
  results: ScenarioResult[];
}

export const machine = () =>
  `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const commit = () => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

function load(file: URL): Store {
  if (!existsSync(file)) return { results: [] };
  const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<Store>;
  // Entries without a date are from the one-broker suite that came before: not this suite's results.
  return { results: (data.results ?? []).filter((r) => r.date) };
}

/** Appends one repetition's result and rewrites the report from every stored result. */
export function recordResult(result: ScenarioResult, order: string[], repetitions: number, docsDir: URL): void {
  const file = new URL('reliability.json', docsDir);
  const store = load(file);
  store.results.push({ ...result, date: new Date().toISOString().slice(0, 10), machine: machine(), commit: commit() });
  writeFileSync(file, `${JSON.stringify(store, null, 2)}\n`);
  rewriteReport(order, repetitions, docsDir);
}

/** Rewrites docs/reliability.md from docs/reliability.json (after a change to the report's text). */
export function rewriteReport(order: string[], repetitions: number, docsDir: URL): void {
  writeFileSync(new URL('reliability.md', docsDir), render(load(new URL('reliability.json', docsDir)), order, repetitions));
}

const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const n = (x: number) => x.toLocaleString('en');

function render(store: Store, order: string[], repetitions: number): string {
  const byScenario = order
    .map((name) => ({ name, runs: store.results.filter((r) => r.scenario === name).slice(-repetitions) }))
    .filter((s) => s.runs.length > 0);
  const missing = order.filter((name) => !byScenario.some((s) => s.name === name));
  // Older repetitions stay in the JSON; the page says how many, and how many of those failed.
  const older = store.results.filter((r) => {
    const runs = store.results.filter((x) => x.scenario === r.scenario);
    return runs.indexOf(r) < runs.length - repetitions;
  });
  const olderLine =
    older.length > 0
      ? `\nOlder repetitions, in reliability.json only: ${older.length} (${older.filter((r) => !r.pass).length} failed: ${
          older
            .filter((r) => !r.pass)
            .map((r) => `${r.scenario} seed ${r.seed}, commit ${r.commit}`)
            .join('; ') || 'none'
        }).\n`
      : '';
  const rows = byScenario.map(({ name, runs }) => {
    const failed = runs.filter((r) => !r.pass);
    const verdict =
      failed.length > 0
        ? `**FAIL** (seeds ${failed.map((r) => r.seed).join(', ')})`
        : runs[0]!.expectFailure
          ? '**pass** (duplicates detected, as it must)'
          : '**pass**';
    const recordsMin = Math.min(...runs.map((r) => r.records));
    return `| ${name} | ${runs.at(-1)!.fault} | ${runs.length} | ${n(recordsMin)} | ${n(runs.reduce((x, r) => x + r.faults, 0))} | ${n(runs.reduce((x, r) => x + r.aborted, 0))} | ${s1(Math.max(...runs.map((r) => r.slowestRecoveryMs)))} | ${verdict} |`;
  });
  const details = byScenario.flatMap(({ name, runs }) =>
    runs.map((r, i) =>
      [
        `### ${name} — repetition ${i + 1} (seed ${r.seed}, ${n(r.records)} records, ${r.seconds} s, ${r.date}, commit ${r.commit})`,
        '',
        `Replay: \`WEIR_FAULTS=full WEIR_FAULTS_ONLY=${name} WEIR_FAULT_SEED=${r.seed} npx vitest run --project integration test/faults\``,
        '',
        ...r.checks.map((c) => `- ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`),
        '',
      ].join('\n'),
    ),
  );
  const machines = [...new Set(byScenario.flatMap((s) => s.runs.map((r) => r.machine)))].join('; ');
  const dates = [...new Set(byScenario.flatMap((s) => s.runs.map((r) => r.date)))].sort();
  return `# Reliability

<!-- Written by \`npm run test:faults\` (test/faults/report.ts) from reliability.json; do not edit by hand. -->

The fault-injection suite runs the example's shape — a transform with a retry chain (1 s → 3 s) and
a DLQ, its output stored in Postgres (upsert, offsets in the same transaction) and delivered over
HTTP behind a Redis token bucket — as \`weir run\` processes against a private **three-node Kafka
cluster** (KRaft, each node a combined broker and controller; replication factor 3 and
\`min.insync.replicas=2\` for every topic, the offsets and transaction logs included), a private
schema registry (Apicurio, its storage a Postgres server of its own), Postgres and Redis. Every broker and every worker is a host of its own: a Linux
network namespace joined to a bridge by a veth pair, so one host's link can be cut or degraded
(test/faults/network.ts). The suite kills, freezes, cuts off and restarts them. The workload is
keyed Avro events with unique ids and per-key sequence numbers, 1 % poison pills, 2.7 % records that
fail their first attempt and one undecodable record per 500. Faults happen at seeded random moments
while the feed runs, aimed at what they name (the partition's current leader, the transactional
id's current coordinator, the active controller), and each scenario proves its faults bit. The feed
starts once every step of every worker has joined its group (since 2026-12-02; before, faults could
hit workers still starting), and a worker that crashes is restarted at once, as a supervisor would.

After every repetition, with the workers stopped: every event is in the output (read_committed)
exactly once and in key order, or in the DLQ exactly once (undecodable bytes intact); every row
applied exactly once (a trigger logs each application) and the offsets stored in Postgres match
the rows; every event delivered over HTTP with one idempotency key; a concurrent read_committed
reader saw no duplicates; a sentinel written to every partition is readable with read_committed
(no hanging transaction); every step a fault disturbed (transform output, sink rows, HTTP
deliveries; Postgres faults the rows, Redis faults the deliveries) progressed within 60 s of the
fault healing. Repetitions whose recovery check reads "progress within 60 s" watched the transform's
output only (before 2026-12-01). The self-check runs with exactly-once switched off and must report
duplicates.

Latency and loss: this machine's kernel has no \`sch_netem\`, so \`tc netem\` is not available;
test/faults/netdelay holds each packet between a worker and the brokers in userspace (NFQUEUE on the
bridge's forwarding path, libnetfilter_queue) for 200 ms ± 100 ms each way and drops 5 %. Cuts are
iptables DROP rules inside the host's namespace: connections stall, they are not reset.

Out of scope: disk pressure (a full or failing disk under a broker or Postgres) is not injected.

The one-broker suite that came before (20,040 records per scenario, one repetition, 2026-11-23) is
in this file's git history.

_Runs ${dates[0] ?? '—'}${dates.length > 1 ? ` to ${dates.at(-1)}` : ''} on ${machines || '—'}; the newest ${repetitions} repetitions of each scenario._
${missing.length > 0 ? `\n**Not run yet at full size:** ${missing.join(', ')}.\n` : ''}${olderLine}
| scenario | fault | repetitions | records per repetition | faults injected | aborted records seen (read_uncommitted) | slowest recovery | result |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

## Checks per repetition

${details.join('\n')}`;
}
