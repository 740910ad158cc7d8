// JSON lines to records and back, without a broker: formats from the topology or given, the record
// line shape, validation with line numbers, Avro against an in-memory registry, and decoding that
// shows undecodable bytes instead of failing.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asRecordLine,
  consumeFormats,
  encodeLines,
  FormatError,
  InputError,
  LineEncoder,
  parseFormat,
  produceFormats,
  RecordDecoder,
  toPlainJson,
  type TopicFormats,
} from '../../../src/admin/topic-io.ts';
import type { InboundRecord, OutboundRecord } from '../../../src/kafka/types.ts';
import { schemaFile } from '../../../src/schema/codecs.ts';
import { AvroSerde, schemaIdOf } from '../../../src/schema/serde.ts';
import { MemoryRegistry } from '../../../src/testing/memory/registry.ts';
import { compileTopology } from '../../../src/topology/compile/index.ts';
import type { Plan } from '../../../src/topology/plan.ts';

const PAYMENT = {
  type: 'record',
  name: 'Payment',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'count', type: 'long' },
    { name: 'blob', type: ['null', 'bytes'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' }, default: [] },
  ],
};

let root: string;
let plan: Plan;
let registry: MemoryRegistry;
let paymentId: number;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'weir-topic-io-'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  mkdirSync(join(root, 'schemas'));
  writeFileSync(join(root, 'schemas', 'Payment.avsc'), JSON.stringify(PAYMENT, null, 2));
  writeFileSync(
    join(root, 'p.yaml'),
    `pipeline: p
topics:
  payments: { partitions: 3, value: schemas/Payment.avsc }
  events: { partitions: 2, value: json }
  raw: { partitions: 1, key: bytes, value: bytes }
`,
  );
  const compiled = compileTopology([join(root, 'p.yaml')], { root });
  if (!compiled.plan) throw new Error(JSON.stringify(compiled.diagnostics));
  plan = compiled.plan;
  registry = new MemoryRegistry();
  registry.register('other-value', '{"type":"string"}'); // ids are global: Payment's is not 1
  paymentId = registry.register('payments-value', schemaFile(root, 'schemas/Payment.avsc').text);
});

const formatsOf = (topic: string, given: { key?: string; value?: string } = {}) => produceFormats(plan, root, topic, given)!;
const encoderFor = (f: TopicFormats, partitions?: number) => LineEncoder.create(f, new AvroSerde(registry), partitions);
const inbound = (r: OutboundRecord, offset = 0): InboundRecord => ({
  topic: r.topic,
  partition: r.partition ?? 0,
  offset,
  key: typeof r.key === 'string' ? Buffer.from(r.key) : r.key,
  value: r.value,
  headers: (r.headers ?? []).map((h) => ({ key: h.key, value: Buffer.from(h.value) })),
  timestamp: r.timestamp ?? 1_700_000_000_000,
  size: 0,
});

describe('formats', () => {
  it("a topology topic's formats come from the plan; given ones win; the key is a string by default", () => {
    expect(formatsOf('payments')).toEqual({
      topic: 'payments',
      root,
      key: { format: 'string' },
      value: { format: 'avro', schema: 'schemas/Payment.avsc' },
    });
    expect(formatsOf('events', { key: 'json' })).toMatchObject({ key: { format: 'json' }, value: { format: 'json' } });
    expect(produceFormats(plan, root, 'elsewhere', { value: 'string' })).toMatchObject({
      key: { format: 'string' },
      value: { format: 'string' },
    });
  });

  it('a topic not in the topology needs a value format', () => {
    expect(produceFormats(plan, root, 'elsewhere', {})).toBeUndefined();
    expect(produceFormats(undefined, root, 'elsewhere', { key: 'string' })).toBeUndefined();
  });

  it('avro:<file> is a path from the working directory, kept relative to the schema root', () => {
    expect(parseFormat('avro:schemas/Payment.avsc', root, root)).toEqual({ format: 'avro', schema: 'schemas/Payment.avsc' });
    expect(parseFormat('avro:Payment.avsc', root, join(root, 'schemas'))).toEqual({
      format: 'avro',
      schema: join('schemas', 'Payment.avsc'),
    });
    expect(() => parseFormat('protobuf', root)).toThrow(FormatError);
    expect(() => parseFormat('avro', root)).toThrow(/expected string, json, bytes or avro:<schema.avsc>; got "avro"/);
  });

  it('consuming: the topology formats, auto for unknown topics, avro without a schema file', () => {
    expect(consumeFormats(plan, 'payments', {})).toEqual({ key: 'string', value: 'avro' });
    expect(consumeFormats(plan, 'elsewhere', {})).toEqual({ key: 'auto', value: 'auto' });
    expect(consumeFormats(undefined, 'payments', { value: 'avro:x.avsc', key: 'bytes' })).toEqual({ key: 'bytes', value: 'avro' });
    expect(() => consumeFormats(plan, 'payments', { value: 'xml' })).toThrow(/expected string, json, bytes, avro or auto; got "xml"/);
  });
});

describe('record lines', () => {
  it('an object with value and only record fields is a record; anything else is the value', () => {
    expect(asRecordLine({ key: 'k', value: { a: 1 }, headers: { h: 'v' }, partition: 1, timestamp: 5 })).toEqual({
      key: 'k',
      value: { a: 1 },
      headers: { h: 'v' },
      partition: 1,
      timestamp: 5,
    });
    expect(asRecordLine({ value: null })).toEqual({ value: null });
    expect(asRecordLine({ key: 'k' })).toEqual({ value: { key: 'k' } });
    expect(asRecordLine({ id: 'e1', key: 'k1', value: 3 })).toEqual({ value: { id: 'e1', key: 'k1', value: 3 } });
    expect(asRecordLine([1, 2])).toEqual({ value: [1, 2] });
    expect(asRecordLine('text')).toEqual({ value: 'text' });
  });

  it('json topic: key, value, headers, partition and timestamp as given; a bare value has no key', async () => {
    const enc = await encoderFor(formatsOf('events'), 2);
    expect(enc.encode('{"key":"k1","value":{"n":1},"headers":{"source":"backfill"},"partition":1,"timestamp":1700000000000}')).toEqual({
      topic: 'events',
      key: Buffer.from('k1'),
      value: Buffer.from('{"n":1}'),
      headers: [{ key: 'source', value: Buffer.from('backfill') }],
      partition: 1,
      timestamp: 1_700_000_000_000,
    });
    expect(enc.encode('{"n":2}')).toEqual({ topic: 'events', key: null, value: Buffer.from('{"n":2}') });
    expect(enc.encode('{"key":7,"value":null}')).toEqual({ topic: 'events', key: Buffer.from('7'), value: null });
  });

  it('says why a line is not a record', async () => {
    const enc = await encoderFor(formatsOf('events'), 2);
    expect(() => enc.encode('{"value": 1')).toThrow(/^not JSON: /);
    expect(() => enc.encode('{"value":1,"partition":2}')).toThrow('partition 2 does not exist: events has 2 (0-1)');
    expect(() => enc.encode('{"value":1,"partition":-1}')).toThrow('partition must be a whole number ≥ 0; got -1');
    expect(() => enc.encode('{"value":1,"timestamp":"yesterday"}')).toThrow(/timestamp must be epoch milliseconds/);
    expect(() => enc.encode('{"value":1,"headers":{"n":1}}')).toThrow('header "n" must be a string; got number 1');
    expect(() => enc.encode('{"value":1,"headers":["a"]}')).toThrow(/headers must be an object of strings/);
    expect(() => enc.encode('{"key":{"id":1},"value":1}')).toThrow('key: keys of this topic are strings; got an object');
  });

  it('bytes topic: base64 text', async () => {
    const enc = await encoderFor(formatsOf('raw'));
    expect(enc.encode('{"key":"AAE=","value":"3q2+7w=="}')).toMatchObject({
      key: Buffer.from([0, 1]),
      value: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
    });
    expect(() => enc.encode('"not base64!"')).toThrow(
      'value: values of this topic are bytes, written as base64 text; got string "not base64!"',
    );
  });

  it('encodeLines: every line or none; the first bad line by number (blank lines count), with its file', async () => {
    const enc = await encoderFor(formatsOf('events'), 2);
    const ok = await encodeLines(enc, [
      { lines: ['{"a":1}', '', '  {"key":"k","value":2}  ', '3'] },
      { name: 'more.jsonl', lines: ['"x"'] },
    ]);
    expect(ok.map((r) => r.value?.toString())).toEqual(['{"a":1}', '2', '3', '"x"']);
    const bad = encodeLines(enc, [{ lines: ['1'] }, { name: 'more.jsonl', lines: ['{"a":1}', '', '{"value":', '4'] }]);
    await expect(bad).rejects.toThrow(InputError);
    await expect(bad).rejects.toThrow(/^more\.jsonl: line 3: not JSON: /);
    const stdin = encodeLines(enc, [
      {
        lines: (async function* () {
          yield '1';
          yield '{"value":1,"partition":9}';
        })(),
      },
    ]);
    await expect(stdin).rejects.toThrow('line 2: partition 9 does not exist: events has 2 (0-1)');
  });
});

describe('Avro', () => {
  it('encodes with the registered id; decimals from exact strings, bytes from base64', async () => {
    const enc = await encoderFor(formatsOf('payments'), 3);
    const r = enc.encode('{"key":"c-1","value":{"id":"p1","amount":"12.50","count":3,"blob":"AQID","tags":["a"]}}');
    expect(schemaIdOf(r.value)).toBe(paymentId);
    expect(r.key).toEqual(Buffer.from('c-1'));
    const serde = new AvroSerde(registry);
    await serde.prepare([r.value]);
    expect(serde.decode(r.value)).toEqual({ id: 'p1', amount: '12.50', count: 3, blob: Buffer.from([1, 2, 3]), tags: ['a'] });
  });

  it('a value that does not match the schema names the field and what it expected', async () => {
    const enc = await encoderFor(formatsOf('payments'), 3);
    expect(() => enc.encode('{"id":"p1","amount":"12.345","count":3}')).toThrow(
      /value does not match payments-value: `amount` expected decimal, got string "12.345"/,
    );
    expect(() => enc.encode('{"id":"p1","amount":"1","count":"three"}')).toThrow(/`count` expected long, got string "three"/);
    // avsc would drop unknown fields: a misspelt optional field must not go unnoticed.
    expect(() => enc.encode('{"id":"p1","amount":"1","count":1,"tag":["x"],"note":1}')).toThrow(
      'value does not match payments-value: `tag`, `note` not in the schema',
    );
  });

  it('a schema that is not registered under the subject is refused up front', async () => {
    const f: TopicFormats = {
      topic: 'unregistered',
      root,
      key: { format: 'string' },
      value: { format: 'avro', schema: 'schemas/Payment.avsc' },
    };
    await expect(encoderFor(f)).rejects.toThrow(/the schema for unregistered-value is not registered; run `weir deploy`/);
    await expect(LineEncoder.create(f, undefined)).rejects.toThrow(/a schema registry is needed/);
  });
});

describe('decoding', () => {
  it('Avro as plain JSON: decimals as exact strings, bytes as base64; --json adds the record coordinates', async () => {
    const enc = await encoderFor(formatsOf('payments'), 3);
    const out = enc.encode('{"key":"c-1","value":{"id":"p1","amount":"-0.05","count":3,"blob":"AQID"},"headers":{"h":"v"},"partition":2}');
    const dec = new RecordDecoder(consumeFormats(plan, 'payments', {}), new AvroSerde(registry));
    const rec = inbound(out, 41);
    await dec.prepare([rec]);
    expect(dec.toJson(rec)).toEqual({ key: 'c-1', value: { id: 'p1', amount: '-0.05', count: 3, blob: 'AQID', tags: [] } });
    expect(JSON.stringify(dec.toJson(rec, true))).toBe(
      '{"topic":"payments","partition":2,"offset":41,"timestamp":1700000000000,"key":"c-1","value":{"id":"p1","amount":"-0.05","count":3,"blob":"AQID","tags":[]},"headers":{"h":"v"}}',
    );
  });

  it('a poison pill is shown as base64 with the reason, key still decoded', async () => {
    const dec = new RecordDecoder({ key: 'string', value: 'avro' }, new AvroSerde(registry));
    const garbage = Buffer.from('this is not avro');
    const unknownId = Buffer.from([0, 0, 0, 0, 99, 1, 2]);
    const records = [
      inbound({ topic: 't', key: 'k0', value: garbage }),
      inbound({ topic: 't', key: null, value: unknownId }),
      inbound({ topic: 't', key: 'k2', value: null }),
    ];
    await dec.prepare(records);
    expect(records.map((r) => dec.toJson(r))).toEqual([
      { key: 'k0', valueBase64: garbage.toString('base64'), error: 'value: no Confluent magic byte: 16 bytes starting 7468697320' },
      { key: null, valueBase64: unknownId.toString('base64'), error: 'value: schema id 99 is not in the registry' },
      { key: 'k2', value: null },
    ]);
  });

  it('json that does not parse, in key and value', async () => {
    const dec = new RecordDecoder({ key: 'json', value: 'json' }, undefined);
    const r = inbound({ topic: 't', key: Buffer.from('{'), value: Buffer.from('nope') });
    const out = dec.toJson(r);
    expect(out).toMatchObject({ keyBase64: 'ew==', valueBase64: Buffer.from('nope').toString('base64') });
    expect(out.error).toMatch(/^key: not JSON: .*; value: not JSON: /);
    expect(() => new RecordDecoder({ key: 'string', value: 'avro' }, undefined)).toThrow(/Avro needs a schema registry/);
  });

  it('auto: Avro with a known id, else JSON, else text, else base64 without an error', async () => {
    const enc = await encoderFor(formatsOf('payments'), 3);
    const avro = enc.encode('{"id":"p1","amount":"1","count":1}').value;
    const dec = new RecordDecoder({ key: 'auto', value: 'auto' }, new AvroSerde(registry));
    const records = [
      avro,
      Buffer.from('{"a":1}'),
      Buffer.from('plain text'),
      Buffer.from([0xff, 0xfe, 0x00, 0x01]),
      Buffer.from([0, 0, 0, 0, 77, 5]),
    ].map((v) => inbound({ topic: 't', key: null, value: v }));
    await dec.prepare(records);
    expect(records.map((r) => dec.toJson(r))).toEqual([
      { key: null, value: { id: 'p1', amount: '1.00', count: 1, blob: null, tags: [] } },
      { key: null, value: { a: 1 } },
      { key: null, value: 'plain text' },
      { key: null, valueBase64: '//4AAQ==' },
      { key: null, valueBase64: 'AAAAAE0F' },
    ]);
    // Without a registry, framed bytes are just bytes.
    const offline = new RecordDecoder({ key: 'auto', value: 'auto' }, undefined);
    expect(offline.toJson(records[0]!)).toEqual({ key: null, valueBase64: avro!.toString('base64') });
  });

  it('plain JSON: bigints as strings, buffers as base64, nested', () => {
    expect(toPlainJson({ a: 2n ** 70n, b: [Buffer.from('hi')], c: new Map([['k', 1n]]), d: null })).toEqual({
      a: '1180591620717411303424',
      b: ['aGk='],
      c: { k: '1' },
      d: null,
    });
  });

  it('consumed lines are produce input: the same bytes come out again', async () => {
    for (const topic of ['payments', 'events', 'raw']) {
      const enc = await encoderFor(formatsOf(topic), 3);
      const line =
        topic === 'payments'
          ? '{"key":"c","value":{"id":"p","amount":"99999999.99","count":-4,"blob":"/w==","tags":["x","y"]}}'
          : topic === 'events'
            ? '{"key":"c","value":{"nested":[1,{"b":null}]}}'
            : '{"key":"AA==","value":"3q2+7w=="}';
      const first = enc.encode(line);
      const dec = new RecordDecoder(consumeFormats(plan, topic, {}), new AvroSerde(registry));
      const rec = inbound(first);
      await dec.prepare([rec]);
      const again = enc.encode(JSON.stringify(dec.toJson(rec)));
      expect(again.key).toEqual(first.key);
      expect(again.value).toEqual(first.value);
    }
  });
});
