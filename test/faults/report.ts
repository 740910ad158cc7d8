// The suite's results: one entry per scenario, written as JSON and as the table in
// docs/reliability.md (full runs only: `npm test` runs the short subset and leaves docs alone).
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
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
}

const machine = () =>
  `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

export function writeReport(results: ScenarioResult[], docsDir: URL): void {
  const date = new Date().toISOString().slice(0, 10);
  writeFileSync(new URL('reliability.json', docsDir), `${JSON.stringify({ date, machine: machine(), results }, null, 2)}\n`);
  const total = results.reduce((n, r) => n + r.records, 0);
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.fault} | ${r.faults} | ${r.records.toLocaleString('en')} | ${r.aborted.toLocaleString('en')} | ${(r.slowestRecoveryMs / 1000).toFixed(1)} s | ${r.pass ? (r.expectFailure ? '**pass** (duplicates detected, as it must)' : '**pass**') : '**FAIL**'} |`,
  );
  const details = results.map((r) =>
    [
      `### ${r.scenario} (seed ${r.seed}, ${r.seconds} s)`,
      '',
      ...r.checks.map((c) => `- ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`),
      '',
    ].join('\n'),
  );
  const md = `# Reliability

<!-- Written by \`npm run test:faults\` (test/faults/); do not edit by hand. -->

The fault-injection suite runs the example's shape — a transform with a retry chain (1 s → 3 s) and
a DLQ, its output stored in Postgres (upsert, offsets in the same transaction) and delivered over
HTTP behind a Redis token bucket — as \`weir run\` processes on a private Kafka broker, Postgres and
Redis that it kills, freezes and restarts. The workload is keyed Avro events with unique ids and
per-key sequence numbers, 1 % poison pills, 2.7 % records that fail their first attempt and one
undecodable record per 500. Faults happen at seeded random moments (\`WEIR_FAULT_SEED\` replays a
run).

After every scenario, with the workers stopped: every event is in the output (read_committed)
exactly once and in key order, or in the DLQ exactly once (undecodable bytes intact); every row
applied exactly once (a trigger logs each application) and the offsets stored in Postgres match
the rows; every event delivered over HTTP with one idempotency key; a concurrent read_committed
reader saw no duplicates; a sentinel written to every partition is readable with read_committed
(no hanging transaction); the pipeline progressed within 60 s of each fault healing; and the
scenario's own proof that the faults bit (for most, a read_uncommitted reader saw aborted records).
The self-check runs with exactly-once switched off and must report duplicates.

_Run ${date} on ${machine()}: ${results.length} scenarios, ${total.toLocaleString('en')} records._

| scenario | fault | faults injected | records | aborted records seen (read_uncommitted) | slowest recovery | result |
|---|---|---|---|---|---|---|
${rows.join('\n')}

## Checks per scenario

${details.join('\n')}`;
  writeFileSync(new URL('reliability.md', docsDir), md);
}
