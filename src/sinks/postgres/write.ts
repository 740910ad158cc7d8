// Set-based writes, one statement per batch: rows go in as text arrays through `unnest` (or COPY
// into a temporary table) and are cast in SQL; `insert` ignores existing keys, `upsert` updates
// them, and with a version column an older record never overwrites a newer row. Tombstones delete
// by key the same way. A row that breaks a constraint is isolated by bisecting the batch under
// savepoints; the rest commits.
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PlannedStep } from '../../topology/plan.ts';
import type { Column } from './columns.ts';
import { qualified, quoteIdent } from './ddl.ts';

export type Row = Array<string | null>;
export type WriteStrategy = 'unnest' | 'copy';

/** Postgres rejected this row's data (SQLSTATE class 22 or 23): the DLQ, not a retry, is the way. */
export class RowRejected extends Error {
  override name = 'ConstraintViolation';
  constructor(
    readonly code: string,
    message: string,
    readonly detail?: string,
  ) {
    super(detail ? `${message} (${detail})` : message);
  }
}

const isRowError = (err: unknown) => /^2[23]/.test((err as { code?: string }).code ?? '');

export class RowWriter {
  private readonly conflict: string;
  private readonly selectList: string;
  private readonly insertInto: string;

  constructor(
    private readonly sink: NonNullable<PlannedStep['postgres']>,
    private readonly columns: Column[],
    private readonly strategy: WriteStrategy = 'unnest',
  ) {
    const cols = columns.map((c) => quoteIdent(c.name));
    this.insertInto = `INSERT INTO ${qualified(sink.table)} (${cols.join(', ')})`;
    this.selectList = columns.map((c) => `u.${quoteIdent(c.name)}::${c.type}`).join(', ');
    const keys = sink.key.map(quoteIdent).join(', ');
    const updates = columns.filter((c) => !sink.key.includes(c.name)).map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
    if (sink.mode === 'insert' || updates.length === 0) this.conflict = `ON CONFLICT (${keys}) DO NOTHING`;
    else {
      const guard = sink.version
        ? ` WHERE ${qualified(sink.table)}.${quoteIdent(sink.version)} < EXCLUDED.${quoteIdent(sink.version)}`
        : '';
      this.conflict = `ON CONFLICT (${keys}) DO UPDATE SET ${updates.join(', ')}${guard}`;
    }
  }

  /**
   * One row per key: ON CONFLICT cannot touch a row twice in one statement. Insert keeps the first,
   * upsert the last, a version guard the highest version (then the last).
   */
  dedupe(rows: Row[]): Row[] {
    const keyIdx = this.sink.key.map((k) => this.columns.findIndex((c) => c.name === k));
    const vIdx = this.sink.version ? this.columns.findIndex((c) => c.name === this.sink.version) : -1;
    const kept = new Map<string, Row>();
    for (const row of rows) {
      const k = JSON.stringify(keyIdx.map((i) => row[i]));
      const prior = kept.get(k);
      if (!prior) kept.set(k, row);
      else if (this.sink.mode === 'insert') continue;
      else if (vIdx < 0 || Number(row[vIdx] ?? -Infinity) >= Number(prior[vIdx] ?? -Infinity)) {
        kept.delete(k); // re-insert to keep the order of last occurrence
        kept.set(k, row);
      }
    }
    return [...kept.values()];
  }

  private async statement(client: pg.ClientBase, rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.strategy === 'unnest') {
      const params = this.columns.map((_, i) => rows.map((r) => r[i] ?? null));
      const unnest = `unnest(${this.columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${this.columns.map((c) => quoteIdent(c.name)).join(', ')})`;
      await client.query(`${this.insertInto} SELECT ${this.selectList} FROM ${unnest} ${this.conflict}`, params);
      return;
    }
    const stage = `weir_stage_${this.sink.table.replace(/\W/g, '_')}`;
    await client.query(
      `CREATE TEMP TABLE IF NOT EXISTS ${stage} (${this.columns.map((c) => `${quoteIdent(c.name)} text`).join(', ')}) ON COMMIT DELETE ROWS`,
    );
    await client.query(`TRUNCATE ${stage}`);
    const escape = (v: string | null) =>
      v === null ? '\\N' : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
    const stream = client.query(copyFrom(`COPY ${stage} FROM STDIN`));
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('finish', resolve);
      stream.end(Buffer.from(rows.map((r) => r.map(escape).join('\t')).join('\n') + '\n'));
    });
    await client.query(`${this.insertInto} SELECT ${this.selectList} FROM ${stage} u ${this.conflict}`);
  }

  /** Deletes the rows with these key column values (text), one statement, set-based like the writes. */
  private async deleteStatement(client: pg.ClientBase, keys: Row[]): Promise<void> {
    if (keys.length === 0) return;
    const keyCols = this.sink.key.map((k) => this.columns.find((c) => c.name === k)!);
    const params = keyCols.map((_, i) => keys.map((k) => k[i] ?? null));
    const unnest = `unnest(${keyCols.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${keyCols.map((c) => quoteIdent(c.name)).join(', ')})`;
    const match = keyCols.map((c) => `weir_t.${quoteIdent(c.name)} = u.${quoteIdent(c.name)}::${c.type}`).join(' AND ');
    await client.query(`DELETE FROM ${qualified(this.sink.table)} AS weir_t USING ${unnest} WHERE ${match}`, params);
  }

  /**
   * Writes the rows inside the caller's transaction. Returns the indexes (into `rows`) that
   * Postgres rejected, with its error; any other error is thrown (the whole batch is redone).
   */
  write(client: pg.ClientBase, rows: Row[]): Promise<Map<number, RowRejected>> {
    return this.isolated(client, rows, (part) => this.statement(client, this.dedupe(part)));
  }

  /** Deletes by key columns (text values) inside the caller's transaction; rejections as for `write`. */
  delete(client: pg.ClientBase, keys: Row[]): Promise<Map<number, RowRejected>> {
    return this.isolated(client, keys, (part) => this.deleteStatement(client, part));
  }

  /** Runs `statement` on all items under a savepoint; a data error bisects until the items that cause it are found. */
  private async isolated(
    client: pg.ClientBase,
    items: Row[],
    statement: (part: Row[]) => Promise<void>,
  ): Promise<Map<number, RowRejected>> {
    const rejected = new Map<number, RowRejected>();
    const attempt = async (indexes: number[], depth: number): Promise<void> => {
      const sp = `weir_sp_${depth}`;
      await client.query(`SAVEPOINT ${sp}`);
      try {
        await statement(indexes.map((i) => items[i]!));
        await client.query(`RELEASE SAVEPOINT ${sp}`);
      } catch (err) {
        if (!isRowError(err)) throw err;
        await client.query(`ROLLBACK TO SAVEPOINT ${sp}`);
        if (indexes.length === 1) {
          const e = err as { code: string; message: string; detail?: string };
          rejected.set(indexes[0]!, new RowRejected(e.code, e.message, e.detail));
          return;
        }
        const mid = Math.ceil(indexes.length / 2);
        await attempt(indexes.slice(0, mid), depth + 1);
        await attempt(indexes.slice(mid), depth + 1);
      }
    };
    if (items.length > 0)
      await attempt(
        items.map((_, i) => i),
        0,
      );
    return rejected;
  }
}
