// Postgres sink writes: rows/s for insert and upsert, batches of 500 and 5 000, unnest vs COPY, in
// one run. Each batch is what the sink does: BEGIN, the set-based write, the offsets update, COMMIT.
import pg from 'pg';
import { resolveColumns } from '../src/sinks/postgres/columns.ts';
import { createTableSql, OFFSETS_DDL } from '../src/sinks/postgres/ddl.ts';
import { claimPartitions, storeOffsets } from '../src/sinks/postgres/offsets.ts';
import { RowWriter, type Row, type WriteStrategy } from '../src/sinks/postgres/write.ts';
import type { PlannedStep } from '../src/topology/plan.ts';
import { settings } from './harness.ts';
import { fmt, type SuiteResult } from './report.ts';

const SCHEMA = {
  type: 'record',
  name: 'Event',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'key', type: 'string' },
    { name: 'seq', type: 'long' },
    { name: 'payload', type: 'string' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};

function sinkFor(table: string, mode: 'insert' | 'upsert'): NonNullable<PlannedStep['postgres']> {
  return {
    table,
    key: ['k'],
    mode,
    version: mode === 'upsert' ? 'seq' : null,
    createTable: true,
    columnsFrom: 'mapping',
    onTombstone: 'dlq',
    columns: [
      { name: 'k', source: mode === 'insert' ? 'id' : 'key', type: null },
      { name: 'seq', source: 'seq', type: null },
      { name: 'payload', source: 'payload', type: null },
      { name: 'at', source: 'at', type: null },
      { name: 'event_id', source: '$eventId', type: null },
    ],
  };
}

async function run(client: pg.Client, mode: 'insert' | 'upsert', strategy: WriteStrategy, batch: number, n: number): Promise<number> {
  const table = `bench_${mode}_${strategy}_${batch}`;
  const sink = sinkFor(table, mode);
  const columns = resolveColumns(sink.columns, SCHEMA);
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(createTableSql(sink, columns));
  await client.query(OFFSETS_DDL);
  const group = `bench-${table}`;
  const [claim] = await claimPartitions(client, group, [{ topic: 'bench', partition: 0 }]);
  const writer = new RowWriter(sink, columns, strategy);
  const rowOf = (i: number): Row =>
    columns.map((c) =>
      c.toText(
        { $eventId: `bench:${i}`, id: `e${i}`, key: `k${i % 10_000}`, seq: i, payload: 'x'.repeat(64), at: 1_795_380_000_000 + i }[
          c.source === '$eventId' ? '$eventId' : c.source
        ],
      ),
    );
  const t0 = performance.now();
  for (let start = 0; start < n; start += batch) {
    const rows = Array.from({ length: Math.min(batch, n - start) }, (_, j) => rowOf(start + j));
    await client.query('BEGIN');
    await writer.write(client, rows);
    await storeOffsets(client, group, [
      { topic: 'bench', partition: 0, offset: start + rows.length, from: start, generation: claim!.generation },
    ]);
    await client.query('COMMIT');
  }
  const rate = n / ((performance.now() - t0) / 1000);
  await client.query(`DROP TABLE ${table}`);
  return rate;
}

export async function postgresSuite(n = Number(process.env.BENCH_PG_ROWS ?? 100_000)): Promise<SuiteResult> {
  const client = new pg.Client({ connectionString: settings().DATABASE_URL });
  await client.connect();
  const rows: Array<{ mode: string; batch: number; unnest: number; copy: number }> = [];
  try {
    for (const mode of ['insert', 'upsert'] as const) {
      for (const batch of [500, 5_000]) {
        const unnest = await run(client, mode, 'unnest', batch, n);
        const copy = await run(client, mode, 'copy', batch, n);
        process.stdout.write(`  ${mode} batch ${batch}: unnest ${fmt(unnest)}/s, copy ${fmt(copy)}/s\n`);
        rows.push({ mode, batch, unnest, copy });
      }
    }
  } finally {
    await client.end();
  }
  const markdown = `${n.toLocaleString('en-US')} rows per measurement (5 columns: text key, bigint, text, timestamptz, text event id); each batch is one transaction with the offsets update, as the sink runs it. Upsert keeps 10 000 keys with a version guard, so most rows update an existing one.

| mode | batch | COPY / unnest | unnest rows/s | COPY rows/s |
|---|---|---|---|---|
${rows.map((r) => `| ${r.mode} | ${r.batch.toLocaleString('en-US')} | **${(r.copy / r.unnest).toFixed(2)}** | ${fmt(r.unnest)} | ${fmt(r.copy)} |`).join('\n')}
`;
  return { suite: 'postgres', title: 'Postgres sink: unnest vs COPY', markdown, data: { rows: n, results: rows } };
}
