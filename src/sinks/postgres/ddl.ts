// Tables of the Postgres sink: the DDL weir proposes from the mapping (shown by `weir plan`,
// applied by `weir deploy`), verification of an existing table, and the offsets table.
import type pg from 'pg';
import type { PlannedStep } from '../../topology/plan.ts';
import type { Column } from './columns.ts';

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const qualified = (table: string) => table.split('.').map(quoteIdent).join('.');

export const OFFSETS_TABLE = 'weir_offsets';

export const OFFSETS_DDL = `CREATE TABLE IF NOT EXISTS ${OFFSETS_TABLE} (
  consumer_group text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  next_offset bigint,
  generation bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, topic, partition)
)`;

export function createTableSql(sink: NonNullable<PlannedStep['postgres']>, columns: Column[]): string {
  const lines = columns.map((c) => `  ${quoteIdent(c.name)} ${c.type}${sink.key.includes(c.name) ? ' NOT NULL' : ''}`);
  lines.push(`  PRIMARY KEY (${sink.key.map(quoteIdent).join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${qualified(sink.table)} (\n${lines.join(',\n')}\n)`;
}

/** Postgres's own spelling of a type, so that `int8` and `bigint` compare equal. */
async function canonicalType(client: pg.ClientBase, type: string): Promise<string> {
  const { rows } = await client.query<{ t: string }>(
    "SELECT format_type($1::regtype, NULL) || coalesce((SELECT substring($2 from '\\(.*\\)')), '') AS t",
    [type.replace(/\(.*\)/, ''), type],
  );
  return rows[0]!.t;
}

export interface TableCheck {
  exists: boolean;
  problems: string[];
}

/** Differences between an existing table and the mapping, in words. */
export async function verifyTable(
  client: pg.ClientBase,
  sink: NonNullable<PlannedStep['postgres']>,
  columns: Column[],
): Promise<TableCheck> {
  const { rows: found } = await client.query<{ oid: string }>('SELECT to_regclass($1)::oid AS oid', [qualified(sink.table)]);
  const oid = found[0]?.oid;
  if (!oid) return { exists: false, problems: [`table ${sink.table} does not exist`] };
  const { rows: cols } = await client.query<{ name: string; type: string; notnull: boolean }>(
    'SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS notnull FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped',
    [oid],
  );
  const { rows: pk } = await client.query<{ name: string }>(
    'SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1 AND (i.indisprimary OR i.indisunique)',
    [oid],
  );
  const problems: string[] = [];
  for (const c of columns) {
    const existing = cols.find((x) => x.name === c.name);
    if (!existing) {
      problems.push(
        `column ${c.name} (${c.type}) is missing: ALTER TABLE ${qualified(sink.table)} ADD COLUMN ${quoteIdent(c.name)} ${c.type}`,
      );
      continue;
    }
    const want = await canonicalType(client, c.type);
    if (existing.type !== want) problems.push(`column ${c.name} is ${existing.type}; the mapping writes ${want}`);
  }
  const keys = new Set(pk.map((r) => r.name));
  if (!sink.key.every((k) => keys.has(k)))
    problems.push(
      `the key (${sink.key.join(', ')}) is not a primary key or unique index of ${sink.table}: upserts need one to find the row`,
    );
  return { exists: true, problems };
}

export interface EnsureResult {
  table: string;
  action: 'created' | 'exists' | 'would-create' | 'mismatch' | 'missing';
  ddl: string;
  problems: string[];
}

/** Creates the table when allowed and missing, else verifies it; says what it did or would do. */
export async function ensureTable(
  client: pg.ClientBase,
  sink: NonNullable<PlannedStep['postgres']>,
  columns: Column[],
  opts: { dryRun: boolean },
): Promise<EnsureResult> {
  const ddl = createTableSql(sink, columns);
  const check = await verifyTable(client, sink, columns);
  if (check.exists) return { table: sink.table, action: check.problems.length ? 'mismatch' : 'exists', ddl, problems: check.problems };
  if (!sink.createTable)
    return {
      table: sink.table,
      action: 'missing',
      ddl,
      problems: [`table ${sink.table} does not exist and createTable is false: create it with the DDL below`],
    };
  if (opts.dryRun) return { table: sink.table, action: 'would-create', ddl, problems: [] };
  await client.query(ddl);
  await client.query(OFFSETS_DDL);
  return { table: sink.table, action: 'created', ddl, problems: [] };
}
