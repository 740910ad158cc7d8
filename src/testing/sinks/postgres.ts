// The Postgres sink's effect without Postgres: the same column mapping and text conversion, the
// same one-row-per-key rule of a batch (RowWriter.dedupe), insert / upsert / version-guard
// semantics, tombstones as `onTombstone` says, offsets claimed and stored with the rows. Of the constraints, only what the table's
// definition makes certain is checked: key columns are NOT NULL (weir's DDL), so a null key is
// rejected to the DLQ as Postgres would; type and check constraints need the real database.
import type { TopicPartition, TopicPartitionOffset } from '../../kafka/types.ts';
import type { Claim, SinkRecord, SinkTransaction, TransactionalSink } from '../../sinks/sink.ts';
import { resolveColumns, type Column } from '../../sinks/postgres/columns.ts';
import { batchOps } from '../../sinks/postgres/tombstones.ts';
import { RowRejected, RowWriter, type Row } from '../../sinks/postgres/write.ts';
import type { PlannedStep } from '../../topology/plan.ts';

/** A row as a reader gets it: numbers, exact numeric strings, lists for arrays, parsed JSON, ISO timestamps. */
export type TableRow = Record<string, unknown>;

/** Postgres text input (what the sink sends) back to a value, by column type. */
function fromText(type: string, text: string | null): unknown {
  if (text === null) return null;
  const t = type.toLowerCase();
  if (t.endsWith('[]')) return parseArray(text);
  if (t === 'json' || t === 'jsonb') return JSON.parse(text);
  if (t === 'boolean') return text === 'true' || text === 't';
  if (/^(smallint|integer|int|int2|int4|bigint|int8|real|double precision|float4|float8)$/.test(t)) return Number(text);
  if (t === 'bytea') return Buffer.from(text.replace(/^\\x/, ''), 'hex');
  return text;
}

/** `{"a","b",NULL}` (the sink's array literal) → ['a', 'b', null]. */
function parseArray(text: string): Array<string | null> {
  const out: Array<string | null> = [];
  const re = /"((?:[^"\\]|\\.)*)"|NULL/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] === undefined ? null : m[1].replace(/\\(.)/g, '$1'));
  return out;
}

export class MemoryPostgresSink implements TransactionalSink {
  readonly name = 'postgres';
  readonly columns: Column[];
  private readonly sink: NonNullable<PlannedStep['postgres']>;
  private readonly writer: RowWriter;
  private readonly keyIdx: number[];
  private readonly versionIdx: number;
  /** Key (JSON of the key columns' text) → row, in first-insert order. */
  private readonly table = new Map<string, Row>();
  private readonly offsets = new Map<string, number>();

  constructor(step: PlannedStep, schemaJson: unknown | undefined) {
    this.sink = step.postgres!;
    this.columns = resolveColumns(this.sink.columns, schemaJson);
    this.writer = new RowWriter(this.sink, this.columns);
    this.keyIdx = this.sink.key.map((k) => this.columns.findIndex((c) => c.name === k));
    this.versionIdx = this.sink.version ? this.columns.findIndex((c) => c.name === this.sink.version) : -1;
  }

  get tableName(): string {
    return this.sink.table;
  }

  /** The table's rows, column → value, in the order they were first inserted. */
  rows(): TableRow[] {
    return [...this.table.values()].map((row) =>
      Object.fromEntries(this.columns.map((c, i) => [c.name, fromText(c.type, row[i] ?? null)])),
    );
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async claim(partitions: TopicPartition[]): Promise<Claim[]> {
    return partitions.map((tp) => ({ ...tp, next: this.offsets.get(`${tp.topic}/${tp.partition}`) ?? null }));
  }

  positions(partitions: TopicPartition[]): Promise<Claim[]> {
    return this.claim(partitions);
  }

  release(): void {}

  async begin(records: SinkRecord[], offsets: TopicPartitionOffset[]): Promise<SinkTransaction> {
    const ops = batchOps(records, this.sink, this.columns);
    const rejected = new Map(ops.rejected);
    const accepted: Row[] = [];
    for (const { index, values: row } of ops.rows) {
      const nullKey = this.keyIdx.find((k) => row[k] === null);
      if (nullKey !== undefined)
        rejected.set(
          index,
          new RowRejected(
            '23502',
            `null value in column "${this.columns[nullKey]!.name}" of relation "${this.sink.table}" violates not-null constraint`,
          ),
        );
      else accepted.push(row);
    }
    return {
      rejected,
      commit: async () => {
        // Deletes first, as the real sink: a row the batch writes after its key's tombstone stays.
        for (const d of ops.deletes) this.table.delete(JSON.stringify(d.values));
        for (const row of this.writer.dedupe(accepted)) this.apply(row);
        for (const o of offsets) this.offsets.set(`${o.topic}/${o.partition}`, o.offset);
      },
      rollback: async () => undefined,
    };
  }

  private apply(row: Row): void {
    const key = JSON.stringify(this.keyIdx.map((i) => row[i]));
    const existing = this.table.get(key);
    if (!existing) this.table.set(key, row);
    else if (this.sink.mode === 'insert') return;
    else if (this.versionIdx < 0 || Number(existing[this.versionIdx]) < Number(row[this.versionIdx])) this.table.set(key, row);
  }
}
