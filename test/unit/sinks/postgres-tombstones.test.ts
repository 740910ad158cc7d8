// A Postgres sink batch with tombstones in it: what is deleted, what is written, what is rejected.
import { describe, expect, it } from 'vitest';
import { resolveColumns } from '../../../src/sinks/postgres/columns.ts';
import { batchOps, TombstoneRejected } from '../../../src/sinks/postgres/tombstones.ts';
import type { SinkRecord } from '../../../src/sinks/sink.ts';
import { classify } from '../../../src/retry/classify.ts';
import type { PlannedStep } from '../../../src/topology/plan.ts';

type Sink = NonNullable<PlannedStep['postgres']>;

const sink = (onTombstone: Sink['onTombstone'], key = ['k'], columns = [{ name: 'k', source: 'id', type: null }]): Sink => ({
  table: 't',
  key,
  mode: 'upsert',
  version: null,
  columns: [...columns, { name: 'n', source: 'n', type: 'integer' }],
  columnsFrom: 'mapping',
  createTable: true,
  onTombstone,
});

let offset = 0;
const record = (key: unknown, value: unknown): SinkRecord => ({
  key,
  value,
  rawKey: key === null ? null : Buffer.from(typeof key === 'string' ? key : JSON.stringify(key)),
  topic: 'in',
  partition: 0,
  offset: offset++,
  timestamp: 0,
  eventId: `e${offset}`,
});

const ops = (s: Sink, records: SinkRecord[]) => batchOps(records, s, resolveColumns(s.columns, undefined));

describe('tombstones in a Postgres sink batch', () => {
  it('dlq (the default): each tombstone is rejected with a class that goes straight to the DLQ', () => {
    const result = ops(sink('dlq'), [record('a', { id: 'a', n: 1 }), record('a', null)]);
    expect(result.rows.map((r) => r.index)).toEqual([0]);
    expect([...result.rejected.keys()]).toEqual([1]);
    const err = result.rejected.get(1)!;
    expect(err).toBeInstanceOf(TombstoneRejected);
    expect(classify(err, { retryOn: [], dlqOn: [] })).toMatchObject({ disposition: 'dlq', errorClass: 'Tombstone' });
  });

  it('ignore: skipped and counted; the rows stay', () => {
    const result = ops(sink('ignore'), [record('a', { id: 'a', n: 1 }), record('a', null), record('b', null)]);
    expect(result).toMatchObject({ ignored: 2, deletes: [], rejected: new Map() });
    expect(result.rows.map((r) => r.index)).toEqual([0]);
  });

  it('delete: a primitive key fills the one key column; rows before a key’s tombstone are not written, rows after it are', () => {
    const result = ops(sink('delete'), [
      record('a', { id: 'a', n: 1 }),
      record('b', { id: 'b', n: 1 }),
      record('a', null),
      record('a', null),
      record('b', null),
      record('b', { id: 'b', n: 2 }),
    ]);
    // One delete per key (its last tombstone), run before the writes: b's last row comes after its tombstone.
    expect(result.deletes).toEqual([
      { index: 3, values: ['a'] },
      { index: 4, values: ['b'] },
    ]);
    expect(result.rows).toEqual([{ index: 5, values: ['b', '2'] }]);
    expect(result.rejected.size).toBe(0);
  });

  it('delete: a record key with fields fills the key columns by name; $key columns take the key text', () => {
    const two = sink(
      'delete',
      ['tenant', 'id'],
      [
        { name: 'tenant', source: 'tenant', type: null },
        { name: 'id', source: 'order.id', type: null },
      ],
    );
    expect(ops(two, [record({ tenant: 't1', order: { id: 7 } }, null)]).deletes).toEqual([{ index: 0, values: ['t1', '7'] }]);
    const byKey = sink('delete', ['k'], [{ name: 'k', source: '$key', type: null }]);
    expect(ops(byKey, [record('raw-key', null)]).deletes).toEqual([{ index: 0, values: ['raw-key'] }]);
  });

  it('delete: a tombstone whose key gives no key column value is rejected, not applied', () => {
    const two = sink(
      'delete',
      ['tenant', 'id'],
      [
        { name: 'tenant', source: 'tenant', type: null },
        { name: 'id', source: 'id', type: null },
      ],
    );
    const result = ops(two, [record({ tenant: 't1' }, null), record(null, null)]);
    expect(result.deletes).toEqual([]);
    expect([...result.rejected.values()].map((e) => e.message)).toEqual([
      'tombstone without a row to delete: its record key gives no value for key column `id`',
      'tombstone without a row to delete: its record key gives no value for key column `tenant`',
    ]);
  });
});
