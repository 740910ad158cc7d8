// The invariants every scenario ends with, each a named check with the evidence in its detail:
// no loss, no duplicates, per-key order, Postgres offsets that match the applied rows, no hanging
// transaction, a clean concurrent reader, aborted data that proves the faults bit, and recovery.
import pg from 'pg';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { KafkaProducer } from '../../src/kafka/producer.ts';
import { readToEnd } from '../../src/kafka/reader.ts';
import type { InboundRecord } from '../../src/kafka/types.ts';
import { decodeEvents, verifyOutput } from '../helpers/events.ts';
import { waitFor } from '../helpers/wait.ts';
import type { FaultRun } from './harness.ts';
import { recoveryMs } from './observers.ts';
import { writtenTopics } from './transactions.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Evidence {
  checks: Check[];
  aborted: number;
  recoveries: number[];
  httpDuplicates: number;
  outputDuplicates: number;
}

const RECOVERY_LIMIT_MS = 60_000;
const list = (xs: string[], n = 5) => (xs.length ? `${xs.length} (${xs.slice(0, n).join(', ')}${xs.length > n ? ', …' : ''})` : '0');

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // a dead connection fails the query; the event must not crash the suite
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Run after the workers stopped gracefully. `exitCodes`: theirs. */
export async function checkInvariants(run: FaultRun, exitCodes: Array<number | null>): Promise<Evidence> {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const { workload, conn, id } = run;
  const url = run.stack.settings.DATABASE_URL;
  const written = writtenTopics(run);

  // Kafka output, read_committed: every delivered event once, in key order.
  const committed = await readToEnd(conn, [run.topic('out')], { isolation: 'read_committed', timeoutMs: 120_000 });
  const output = await decodeEvents(committed, run.stack.settings.SCHEMA_REGISTRY_URL);
  const verdict = verifyOutput(output, workload.delivered);
  const outIds = new Set(output.map((o) => o.id));
  check('no loss (output)', verdict.missing.length === 0, `missing ${list(verdict.missing)} of ${workload.delivered.length}`);
  check(
    'no duplicates (output, read_committed)',
    verdict.duplicates.length === 0 && verdict.duplicateEventIds.length === 0,
    `duplicate ids ${list(verdict.duplicates)}, event ids ${list(verdict.duplicateEventIds)}`,
  );
  check('per-key order (output)', verdict.orderViolations.length === 0, `violations ${list(verdict.orderViolations)}`);

  // The DLQ of the transform: each poison pill once, each undecodable record once with its bytes.
  const dlqRecords = await readToEnd(conn, [run.step('process').retry.dlq], { isolation: 'read_committed', timeoutMs: 60_000 });
  const garbageSeen = new Map<string, number>();
  const poisonSeen = new Map<string, number>();
  const decodable: InboundRecord[] = [];
  for (const r of dlqRecords) {
    const key = r.key?.toString() ?? '';
    const bytes = workload.garbage.get(key);
    if (bytes) garbageSeen.set(key, (garbageSeen.get(key) ?? 0) + (r.value?.equals(bytes) ? 1 : 1000));
    else decodable.push(r);
  }
  for (const e of await decodeEvents(decodable, run.stack.settings.SCHEMA_REGISTRY_URL))
    poisonSeen.set(e.id, (poisonSeen.get(e.id) ?? 0) + 1);
  const badPoison = workload.poison.filter((e) => poisonSeen.get(e.id) !== 1).map((e) => `${e.id}×${poisonSeen.get(e.id) ?? 0}`);
  const badGarbage = [...workload.garbage.keys()].filter((k) => garbageSeen.get(k) !== 1).map((k) => `${k}×${garbageSeen.get(k) ?? 0}`);
  const unexpected = [...poisonSeen.keys()].filter((k) => !workload.poison.some((e) => e.id === k));
  check(
    'DLQ: poison pills once, undecodable bytes intact once',
    badPoison.length + badGarbage.length + unexpected.length === 0,
    `${workload.poison.length} poison, ${workload.garbage.size} undecodable; wrong ${list([...badPoison, ...badGarbage])}; unexpected ${list(unexpected)}`,
  );
  check(
    'no id both in the output and the DLQ',
    workload.poison.every((e) => !outIds.has(e.id)),
    `${workload.poison.filter((e) => outIds.has(e.id)).length} overlap`,
  );
  const sinkDlqs = await readToEnd(conn, [run.step('store').retry.dlq, run.step('notify').retry.dlq], { timeoutMs: 60_000 });
  check('sink DLQs empty', sinkDlqs.length === 0, `${sinkDlqs.length} records`);

  // Postgres: one row per delivered event, each applied exactly once; offsets match the rows.
  const rows = await query<{ id: string; src_partition: number; src_offset: string }>(
    url,
    `SELECT id, src_partition, src_offset FROM t_${id}`,
  );
  const applied = await query<{ event_id: string; n: string }>(
    url,
    `SELECT event_id, count(*) AS n FROM applied_${id} GROUP BY event_id HAVING count(*) > 1`,
  );
  const rowIds = new Set(rows.map((r) => r.id));
  const missingRows = workload.delivered.filter((e) => !rowIds.has(e.id)).map((e) => e.id);
  check(
    'no loss (table)',
    missingRows.length === 0 && rows.length === workload.delivered.length,
    `${rows.length} rows for ${workload.delivered.length} events; missing ${list(missingRows)}`,
  );
  check(
    'no duplicates (each row applied once)',
    applied.length === 0,
    `applied more than once: ${list(applied.map((a) => `${a.event_id}×${a.n}`))}`,
  );
  const stored = await query<{ partition: number; next_offset: string }>(
    url,
    'SELECT partition, next_offset FROM weir_offsets WHERE consumer_group = $1 AND topic = $2',
    [run.step('store').group, run.topic('out')],
  );
  const offsetProblems: string[] = [];
  for (const s of stored) {
    const next = Number(s.next_offset);
    const below = new Set(output.filter((o) => o.partition === s.partition && o.offset < next).map((o) => o.id));
    const fromHere = rows.filter((r) => r.src_partition === s.partition);
    if (fromHere.some((r) => Number(r.src_offset) >= next) || fromHere.length !== below.size || fromHere.some((r) => !below.has(r.id))) {
      offsetProblems.push(`p${s.partition}: next ${next}, ${below.size} records below it, ${fromHere.length} rows`);
    }
  }
  check(
    'Postgres offsets equal the applied rows',
    stored.length > 0 && offsetProblems.length === 0,
    stored.length ? `problems ${list(offsetProblems)}` : 'no stored offsets',
  );

  // HTTP (at-least-once by design): every delivered event answered 200, one idempotency key per event.
  const ok = run.http.received.filter((r) => r.status < 300);
  const keysById = new Map<string, Set<string>>();
  for (const r of run.http.received) keysById.set(r.id, (keysById.get(r.id) ?? new Set()).add(r.key));
  const okIds = new Set(ok.map((r) => r.id));
  const notDelivered = workload.delivered.filter((e) => !okIds.has(e.id)).map((e) => e.id);
  const unstableKeys = [...keysById].filter(([, keys]) => keys.size > 1).map(([i]) => i);
  check(
    'HTTP: every event delivered, one idempotency key each',
    notDelivered.length === 0 && unstableKeys.length === 0,
    `undelivered ${list(notDelivered)}; ids with several keys ${list(unstableKeys)}`,
  );

  // The concurrent read_committed reader never saw an id twice.
  const seenTwice = run.reader.duplicates();
  check('concurrent read_committed reader saw no duplicates', seenTwice.length === 0, `${list(seenTwice)} of ${run.reader.count} seen`);

  // Aborted records: present for read_uncommitted, absent for read_committed.
  const [all, visible] = await Promise.all([
    readToEnd(conn, written, { isolation: 'read_uncommitted', timeoutMs: 120_000 }),
    readToEnd(conn, written, { isolation: 'read_committed', timeoutMs: 120_000 }),
  ]);
  const aborted = all.length - visible.length;

  check('no hanging transaction (sentinels readable read_committed)', ...(await sentinels(run, written)));
  // Per fault, the slowest of the steps it disturbed: a stalled step fails the check even while others move.
  const perStep = run.faults.map((f) =>
    f.signals.map((signal) => ({
      signal,
      ms: recoveryMs(progressTimes(run, signal), f.healedAt) ?? (pendingAt(run, f.healedAt, signal) ? Infinity : 0),
    })),
  );
  const recoveries = perStep.map((steps) => Math.max(0, ...steps.map((s) => s.ms)));
  const slow = run.faults.flatMap((f, i) => {
    const late = perStep[i]!.filter((s) => s.ms > RECOVERY_LIMIT_MS).map((s) => `${s.signal} ${s.ms} ms`);
    return late.length ? [`${f.kind} at +${Math.round((f.at - run.startedAt) / 1000)} s: ${late.join(', ')}`] : [];
  });
  check(
    'every disturbed step progressed within 60 s of each fault healing',
    slow.length === 0,
    `${run.faults.length} faults, slowest ${slowestStep(perStep)}; too slow ${list(slow)}`,
  );
  // The harness ends workers with SIGKILL (no exit code) or SIGTERM (exit 0); a crash point kills itself.
  const crashed = run.pool.history.filter((w) => w.proc.exitCode !== null && w.proc.exitCode !== 0);
  check(
    'no worker died of its own error during the faults',
    crashed.length === 0,
    `${crashed.length} of ${run.pool.history.length} processes exited non-zero${crashed.length ? `: ${crashed.map((w) => `${w.slot} (exit ${w.proc.exitCode})`).join(', ')}` : ''}`,
  );
  check(
    'workers stopped cleanly',
    exitCodes.every((c) => c === 0),
    `exit codes ${exitCodes.join(', ')}`,
  );
  return { checks, aborted, recoveries, httpDuplicates: ok.length - okIds.size, outputDuplicates: verdict.duplicates.length };
}

/** The slowest finite recovery and the step it was: "39447 ms (rows)". */
function slowestStep(perStep: Array<Array<{ signal: string; ms: number }>>): string {
  const finite = perStep.flat().filter((s) => Number.isFinite(s.ms));
  const worst = finite.reduce<{ signal: string; ms: number } | undefined>((a, b) => (a && a.ms >= b.ms ? a : b), undefined);
  return worst ? `${worst.ms} ms (${worst.signal})` : '0 ms';
}

function progressTimes(run: FaultRun, signal: 'output' | 'rows' | 'http'): number[] {
  if (signal === 'output') return run.reader.arrivals.map((a) => a.at);
  if (signal === 'http') return run.http.received.filter((r) => r.status < 300).map((r) => r.at);
  return run.rows.samples.filter((s, i, all) => i > 0 && s.rows > all[i - 1]!.rows).map((s) => s.at);
}

/** Was work still to do when the fault healed? (If not, there was no progress left to make.) */
function pendingAt(run: FaultRun, at: number, signal: 'output' | 'rows' | 'http'): boolean {
  const total = run.workload.delivered.length;
  if (signal === 'output') return run.reader.arrivals.filter((a) => a.at <= at).length < total;
  if (signal === 'http') return new Set(run.http.received.filter((r) => r.at <= at && r.status < 300).map((r) => r.id)).size < total;
  return (run.rows.samples.filter((s) => s.at <= at).at(-1)?.rows ?? 0) < total;
}

/** Writes a sentinel to every partition and waits until read_committed sees it: the LSO moved past every transaction. */
async function sentinels(run: FaultRun, topics: string[]): Promise<[boolean, string]> {
  const admin = KafkaAdmin.create(run.conn);
  const producer = await KafkaProducer.connect(run.conn, { name: 'sentinel' });
  try {
    const partitions = await admin.partitionsOf(topics);
    for (const tp of partitions)
      await producer.send({ topic: tp.topic, partition: tp.partition, key: 'sentinel', value: Buffer.from('sentinel') });
    await producer.flush();
    const ends = await admin.offsets(partitions, 'latest', 'read_uncommitted');
    const stuck = await waitFor(
      async () => {
        const stable = await admin.offsets(partitions, 'latest', 'read_committed');
        const behind = ends.filter(
          (e) => (stable.find((s) => s.topic === e.topic && s.partition === e.partition)?.offset ?? -1) < e.offset,
        );
        return behind.length === 0 ? [] : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'every sentinel to be stable' },
    ).catch(() => undefined);
    const read = await readToEnd(run.conn, topics, {
      isolation: 'read_committed',
      from: ends.map((e) => ({ ...e, offset: e.offset - 1 })),
      timeoutMs: 30_000,
    });
    const seen = read.filter((r) => r.key?.toString() === 'sentinel').length;
    return [stuck !== undefined && seen === partitions.length, `${seen}/${partitions.length} sentinels read back within 30 s`];
  } finally {
    await producer.disconnect();
    admin.disconnect();
  }
}
