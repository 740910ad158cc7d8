// A Postgres sink for Kafka Connect users: `columns: auto` derives the columns from the input's value
// schema, `onTombstone` says what a null value does (and `delete` needs a key that gives the key
// columns), and deploy leaves the subjects of a topic the topology only sinks to their producer.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileTopology } from '../../../src/topology/compile/index.ts';

const LONG = `f${'x'.repeat(63)}`; // 64 characters: one more than a Postgres identifier holds

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'weir-pg-sink-'));
  writeFileSync(join(root, 'package.json'), '{ "name": "p", "private": true, "type": "module" }\n');
  mkdirSync(join(root, 'schemas'));
  const record = (name: string, fields: Array<[string, unknown]>) =>
    JSON.stringify({ type: 'record', name, fields: fields.map(([n, type]) => ({ name: n, type })) });
  writeFileSync(
    join(root, 'schemas/Order.avsc'),
    record('Order', [
      ['orderId', 'string'],
      ['amount', { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 }],
      ['revision', 'long'],
      ['tags', { type: 'array', items: 'string' }],
    ]),
  );
  writeFileSync(
    join(root, 'schemas/Long.avsc'),
    record('Long', [
      ['id', 'string'],
      [LONG, 'string'],
    ]),
  );
  writeFileSync(join(root, 'schemas/OrderKey.avsc'), record('OrderKey', [['orderId', 'string']]));
  return root;
}

const ROOT = project();

/** A topology with topic `orders` (key format `key`, value `value`) sunk by `store`, whose postgres sink is `sink`. */
const sinkYaml = (sink: string, opts: { key?: string; value?: string; topic?: string; extra?: string } = {}) => `pipeline: shop
topics:
  orders:
    partitions: 3
    key: ${opts.key ?? 'string'}
    value: ${opts.value ?? 'schemas/Order.avsc'}
${opts.topic ?? ''}steps:
  store:
    input: orders
    sink:
      postgres:
${sink
  .trim()
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
${opts.extra ?? ''}`;

function compile(yaml: string) {
  return compileTopology(['a.yaml'], { root: ROOT, texts: { 'a.yaml': yaml } });
}

function errors(yaml: string): string[] {
  return compile(yaml)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`);
}

describe('columns: auto', () => {
  it('derives one column per top-level field of the value schema, in schema order, shown in the plan', () => {
    const { plan, diagnostics } = compile(sinkYaml('table: orders\nkey: [orderId]\nversion: revision\ncolumns: auto'));
    expect(diagnostics).toEqual([]);
    const pg = plan!.steps[0]!.postgres!;
    expect(pg.columnsFrom).toBe('auto');
    expect(pg.columns).toEqual([
      { name: 'orderId', source: 'orderId', type: null },
      { name: 'amount', source: 'amount', type: null },
      { name: 'revision', source: 'revision', type: null },
      { name: 'tags', source: 'tags', type: null },
    ]);
  });

  it('a key or version column that is not a field is an error at its place in the file', () => {
    expect(errors(sinkYaml('table: orders\nkey: [order_id]\nversion: rev\ncolumns: auto'))).toEqual([
      'a.yaml:13:15 unknown-field key column `order_id` is not in `columns` (`auto`: the fields of schemas/Order.avsc) — did you mean `orderId`?',
      'a.yaml:14:18 unknown-field version column `rev` is not in `columns` (`auto`: the fields of schemas/Order.avsc) — did you mean `revision`?',
    ]);
  });

  it('a field name that cannot be a column name is an error', () => {
    expect(errors(sinkYaml('table: orders\nkey: [id]\ncolumns: auto', { value: 'schemas/Long.avsc' }))).toEqual([
      `a.yaml:14:18 invalid-value \`columns: auto\`: field \`${LONG}\` of schemas/Long.avsc is not a column name (letters, digits and _, not starting with a digit, at most 63)`,
    ]);
  });

  it('needs an Avro value schema to derive from', () => {
    expect(errors(sinkYaml('table: orders\nkey: [id]\ncolumns: auto', { value: 'json' }))).toEqual([
      'a.yaml:14:18 invalid-value `columns: auto` derives the columns from the Avro schema of the input values, and this input has none',
    ]);
  });

  it('any other word is not a mapping', () => {
    expect(errors(sinkYaml('table: orders\nkey: [id]\ncolumns: all'))).toEqual([
      'a.yaml:14:18 invalid-value expected one of auto, got the string "all"',
    ]);
  });
});

describe('onTombstone', () => {
  const mapped = 'table: orders\nkey: [order_id]\ncolumns: { order_id: orderId, revision: revision }';

  it('defaults to dlq (what the sink did with a null value before) and accepts delete and ignore', () => {
    expect(compile(sinkYaml(mapped)).plan!.steps[0]!.postgres!.onTombstone).toBe('dlq');
    for (const v of ['delete', 'ignore', 'dlq'] as const)
      expect(compile(sinkYaml(`${mapped}\nonTombstone: ${v}`)).plan!.steps[0]!.postgres!.onTombstone).toBe(v);
  });

  it('delete and ignore on an Avro-valued input compile without a warning (the worker hands Avro tombstones to the sink)', () => {
    const warnings = (yaml: string) => compile(yaml).diagnostics.filter((d) => d.severity === 'warning');
    expect(warnings(sinkYaml(`${mapped}\nonTombstone: delete`))).toEqual([]);
    expect(warnings(sinkYaml(`${mapped}\nonTombstone: ignore`, { value: 'json' }))).toEqual([]);
  });

  it('refuses another value', () => {
    expect(errors(sinkYaml(`${mapped}\nonTombstone: drop`))).toEqual([
      'a.yaml:15:22 invalid-value expected one of dlq, delete, ignore, got the string "drop"',
    ]);
  });

  it('delete: a string key fills the one key column; an Avro key record must have the key fields', () => {
    expect(errors(sinkYaml(`${mapped}\nonTombstone: delete`))).toEqual([]);
    expect(errors(sinkYaml(`${mapped}\nonTombstone: delete`, { key: 'schemas/OrderKey.avsc' }))).toEqual([]);
    const byRevision = 'table: orders\nkey: [rev]\ncolumns: { rev: revision }\nonTombstone: delete';
    expect(errors(sinkYaml(byRevision, { key: 'schemas/OrderKey.avsc' }))).toEqual([
      'a.yaml:13:15 unknown-field `onTombstone: delete` takes key column `rev` from field `revision` of the record key, which schemas/OrderKey.avsc does not have',
    ]);
  });

  it('delete: a plain key cannot give two key columns, and no tombstone carries the row’s event id', () => {
    const two = 'table: orders\nkey: [order_id, revision]\ncolumns: { order_id: orderId, revision: revision }\nonTombstone: delete';
    expect(errors(sinkYaml(two))).toEqual([
      'a.yaml:13:15 invalid-value `onTombstone: delete` fills key columns from the record key: a string key gives one column, not order_id, revision',
    ]);
    expect(errors(sinkYaml(two, { key: 'json' }))).toEqual([]); // a JSON key may carry both fields
    const byEvent = 'table: orders\nkey: [event_id]\ncolumns: { event_id: $eventId }\nonTombstone: delete';
    expect(errors(sinkYaml(byEvent))).toEqual([
      'a.yaml:13:15 invalid-value `onTombstone: delete` cannot find a row by key column `event_id`: it holds $eventId, which a tombstone has its own of',
    ]);
  });
});

describe('subjects deploy registers', () => {
  const sink = 'table: orders\nkey: [orderId]\ncolumns: auto';
  const registered = (yaml: string) => Object.fromEntries(compile(yaml).plan!.subjects.map((s) => [s.subject, s.register]));

  it('not those of a topic the topology only sinks: its producer owns them', () => {
    expect(registered(sinkYaml(sink, { key: 'schemas/OrderKey.avsc' }))).toEqual({ 'orders-key': false, 'orders-value': false });
  });

  it('those of a topic a step writes or a transform reads, and any topic that says registerSchema: true', () => {
    const topic = '  enriched:\n    partitions: 3\n    value: schemas/Order.avsc\n';
    const copy = '  copy:\n    input: enriched\n    filter: "true"\n    outputs: [orders]\n';
    expect(registered(sinkYaml(sink, { topic, extra: copy }))).toEqual({ 'enriched-value': true, 'orders-value': true });
    const owned = sinkYaml(sink).replace('    value: schemas/Order.avsc\n', '    value: schemas/Order.avsc\n    registerSchema: true\n');
    expect(registered(owned)).toEqual({ 'orders-value': true });
  });
});
