// What a Postgres sink batch does, record by record, once tombstones (records with a null value)
// are in it: rows to write, rows to delete, and records to reject. `onTombstone: delete` takes the
// row's key columns from the record key, deletes before it writes, and drops the rows of a key that
// a later tombstone of the same batch deletes — the same end state as applying the records one by
// one, in one statement of each kind.
import { NonRetryableError } from '../../runtime/api.ts';
import type { PlannedStep } from '../../topology/plan.ts';
import type { SinkRecord } from '../sink.ts';
import { columnValue, type Column } from './columns.ts';
import type { Row } from './write.ts';

/** A tombstone the step does not apply: it goes to the DLQ (never retried: its value stays null). */
export class TombstoneRejected extends NonRetryableError {
  override name = 'Tombstone';
}

export interface Indexed<T> {
  /** Index of the record in the batch. */
  index: number;
  values: T;
}

export interface BatchOps {
  /** Key column values (text) of the rows to delete, one per key, before the writes. */
  deletes: Array<Indexed<Row>>;
  /** Rows to write, in record order. */
  rows: Array<Indexed<Row>>;
  rejected: Map<number, Error>;
  /** Tombstones skipped (`onTombstone: ignore`). */
  ignored: number;
}

const isTombstone = (r: SinkRecord) => r.value === null || r.value === undefined;

/**
 * A key column's value from the record key: `$key` is the key's text; a field path is that field of
 * a record (Avro or JSON) key, or a primitive key itself when the table has one key column.
 */
function fromKey(record: SinkRecord, column: Column, single: boolean): unknown {
  if (column.source === '$key') return columnValue(record, '$key');
  const key = record.key;
  if (key !== null && typeof key === 'object' && !Buffer.isBuffer(key)) {
    let v: unknown = key;
    for (const part of column.source.split('.')) v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[part];
    return v;
  }
  return single ? key : undefined;
}

export function batchOps(records: SinkRecord[], sink: NonNullable<PlannedStep['postgres']>, columns: Column[]): BatchOps {
  const ops: BatchOps = { deletes: [], rows: [], rejected: new Map(), ignored: 0 };
  const keyColumns = sink.key.map((k) => columns.findIndex((c) => c.name === k));
  const keyText = (values: Row) => JSON.stringify(values);
  /** Key → position (in `records`) of its last tombstone. */
  const lastDelete = new Map<string, number>();
  records.forEach((record, index) => {
    if (!isTombstone(record)) {
      ops.rows.push({ index, values: columns.map((c) => c.toText(columnValue(record, c.source))) });
      return;
    }
    if (sink.onTombstone === 'ignore') ops.ignored++;
    else if (sink.onTombstone === 'dlq')
      ops.rejected.set(index, new TombstoneRejected('value is null (a tombstone); the step has onTombstone: dlq'));
    else {
      const key = keyColumns.map((i) => columns[i]!.toText(fromKey(record, columns[i]!, keyColumns.length === 1)));
      const absent = key.findIndex((v) => v === null);
      if (absent >= 0)
        ops.rejected.set(
          index,
          new TombstoneRejected(`tombstone without a row to delete: its record key gives no value for key column \`${sink.key[absent]}\``),
        );
      else lastDelete.set(keyText(key), index);
    }
  });
  if (lastDelete.size === 0) return ops;
  for (const [text, index] of lastDelete) ops.deletes.push({ index, values: JSON.parse(text) as Row });
  // A row the same batch deletes afterwards is never written: the delete would remove it anyway.
  ops.rows = ops.rows.filter((r) => (lastDelete.get(keyText(keyColumns.map((i) => r.values[i] ?? null))) ?? -1) < r.index);
  return ops;
}
