// Each malformed topology gives the expected diagnostic code at the expected line and column.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileTopology } from '../../../src/topology/compile/index.ts';

const ROOT = fileURLToPath(new URL('../../fixtures/project/', import.meta.url));

const TOPICS = `pipeline: shop
topics:
  orders:
    partitions: 3
    value: schemas/Order.avsc
  enriched:
    partitions: 3
    value: schemas/Order.avsc
steps:
`;

interface Case {
  name: string;
  files: Record<string, string>;
  code: string;
  at: string; // file:line:column
  message?: RegExp;
  env?: Record<string, string>;
}

const one = (text: string) => ({ 'a.yaml': text });

const cases: Case[] = [
  {
    name: 'bad YAML indentation',
    files: one('pipeline: shop\ntopics:\n  orders:\n    partitions: 3\n   value: x.avsc\n'),
    code: 'yaml-syntax',
    at: 'a.yaml:5:4',
  },
  {
    name: 'unclosed flow sequence',
    files: one(`${TOPICS}  enrich:\n    input: orders\n    outputs: [enriched\n`),
    code: 'yaml-syntax',
    at: 'a.yaml:13:1',
    message: /must be sufficiently indented and end with a \]/,
  },
  { name: 'duplicate key', files: one('pipeline: shop\npipeline: other\n'), code: 'yaml-syntax', at: 'a.yaml:2:1' },
  { name: 'empty file', files: one(''), code: 'missing-key', at: 'a.yaml:1:1', message: /empty/ },
  {
    name: 'misspelled key with suggestion',
    files: one(
      `${TOPICS}  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    outputs: [enriched]\n    retires: { delays: [5s] }\n`,
    ),
    code: 'unknown-key',
    at: 'a.yaml:14:5',
    message: /unknown key `retires` in step — did you mean `retry`\?/,
  },
  {
    name: 'unknown top-level key',
    files: one(`pipline: shop\n`),
    code: 'unknown-key',
    at: 'a.yaml:1:1',
    message: /did you mean `pipeline`/,
  },
  {
    name: 'partitions not a number',
    files: one('pipeline: shop\ntopics:\n  orders:\n    partitions: six\n    value: schemas/Order.avsc\n'),
    code: 'wrong-type',
    at: 'a.yaml:4:17',
    message: /expected an integer, got the string "six"/,
  },
  {
    name: 'partitions out of range',
    files: one('pipeline: shop\ntopics:\n  orders:\n    partitions: 0\n    value: schemas/Order.avsc\n'),
    code: 'invalid-value',
    at: 'a.yaml:4:17',
    message: /0 is out of range/,
  },
  {
    name: 'topic without partitions',
    files: one('pipeline: shop\ntopics:\n  orders:\n    value: schemas/Order.avsc\n'),
    code: 'missing-key',
    at: 'a.yaml:4:5',
    message: /topic needs `partitions`/,
  },
  {
    name: 'step without input',
    files: one(`${TOPICS}  enrich:\n    transform: transforms/t.ts#enrich\n    outputs: [enriched]\n`),
    code: 'missing-key',
    at: 'a.yaml:11:5',
    message: /step needs `input`/,
  },
  {
    name: 'duration without unit',
    files: one(
      `${TOPICS}  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    outputs: [enriched]\n    batch: { time: 100 }\n`,
    ),
    code: 'invalid-value',
    at: 'a.yaml:14:20',
    message: /expected a duration/,
  },
  {
    name: 'outputs not a list',
    files: one(`${TOPICS}  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    outputs: enriched\n`),
    code: 'wrong-type',
    at: 'a.yaml:13:14',
    message: /expected a list/,
  },
  {
    name: 'invalid topic name',
    files: one('pipeline: shop\ntopics:\n  "orders/new":\n    partitions: 3\n    value: string\n'),
    code: 'invalid-value',
    at: 'a.yaml:3:3',
    message: /not a valid Kafka topic name/,
  },
  {
    name: 'bad enum value',
    files: one(
      `${TOPICS}  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    outputs: [enriched]\n    ordering: global\n`,
    ),
    code: 'invalid-value',
    at: 'a.yaml:14:15',
    message: /expected one of partition, key/,
  },
  {
    name: 'missing environment variable',
    env: {},
    files: one(`${TOPICS}  notify:\n    input: orders\n    sink:\n      http:\n        url: \${NOTIFY_URL}\n`),
    code: 'missing-env',
    at: 'a.yaml:14:14',
    message: /NOTIFY_URL is not set/,
  },
  {
    name: 'malformed environment reference',
    files: one(`${TOPICS}  notify:\n    input: orders\n    sink:\n      http:\n        url: "\${NOTIFY_URL"\n`),
    code: 'invalid-value',
    at: 'a.yaml:14:14',
    message: /malformed environment reference/,
  },
  {
    name: 'unknown input topic with suggestion',
    files: one(`${TOPICS}  enrich:\n    input: order\n    transform: transforms/t.ts#enrich\n    outputs: [enriched]\n`),
    code: 'unknown-topic',
    at: 'a.yaml:11:12',
    message: /did you mean `orders`/,
  },
  {
    name: 'undeclared output topic',
    files: one(`${TOPICS}  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    outputs: [enriched, audit.log]\n`),
    code: 'unknown-topic',
    at: 'a.yaml:13:25',
    message: /output topic `audit.log` is not declared/,
  },
  {
    name: 'missing schema file',
    files: one('pipeline: shop\ntopics:\n  orders:\n    partitions: 3\n    value: schemas/Missing.avsc\n'),
    code: 'missing-schema',
    at: 'a.yaml:5:12',
  },
  {
    name: 'unparsable Avro',
    files: one('pipeline: shop\ntopics:\n  orders:\n    partitions: 3\n    value: schemas/broken.avsc\n'),
    code: 'invalid-avro',
    at: 'a.yaml:5:12',
    message: /not a valid Avro schema/,
  },
  {
    name: 'missing transform module',
    files: one(`${TOPICS}  enrich:\n    input: orders\n    transform: transforms/nope.ts#enrich\n    outputs: [enriched]\n`),
    code: 'missing-module',
    at: 'a.yaml:12:16',
  },
  {
    name: 'missing export with suggestion',
    files: one(`${TOPICS}  enrich:\n    input: orders\n    transform: transforms/t.ts#enrch\n    outputs: [enriched]\n`),
    code: 'missing-export',
    at: 'a.yaml:12:16',
    message: /did you mean `enrich`/,
  },
  {
    name: 'filter expression does not parse',
    files: one(`${TOPICS}  big:\n    input: orders\n    filter: "amount > "\n    outputs: [enriched]\n`),
    code: 'invalid-expression',
    at: 'a.yaml:12:22',
    message: /filter does not parse/,
  },
  {
    name: 'two kinds in one step',
    files: one(
      `${TOPICS}  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    filter: amount > 1\n    outputs: [enriched]\n`,
    ),
    code: 'step-kind',
    at: 'a.yaml:10:3',
    message: /has transform and filter/,
  },
  {
    name: 'no kind at all',
    files: one(`${TOPICS}  enrich:\n    input: orders\n    outputs: [enriched]\n`),
    code: 'step-kind',
    at: 'a.yaml:10:3',
    message: /it has none/,
  },
  {
    name: 'route with outputs',
    files: one(`${TOPICS}  split:\n    input: orders\n    route: { by: country, cases: { DE: enriched } }\n    outputs: [enriched]\n`),
    code: 'invalid-value',
    at: 'a.yaml:13:5',
    message: /derives its outputs/,
  },
  {
    name: 'shared consumer group',
    files: one(
      `${TOPICS}  a:\n    input: orders\n    filter: amount > 1\n    outputs: [enriched]\n  b:\n    input: orders\n    filter: amount > 2\n    outputs: [enriched]\n    group: weir.shop.a\n`,
    ),
    code: 'duplicate-group',
    at: 'a.yaml:18:12',
    message: /share the consumer group `weir.shop.a`/,
  },
  {
    name: 'same step name in two files',
    files: {
      'a.yaml': `${TOPICS}  enrich:\n    input: orders\n    filter: amount > 1\n    outputs: [enriched]\n`,
      'b.yaml': 'pipeline: other\nsteps:\n  enrich:\n    input: orders\n    filter: amount > 2\n    outputs: [enriched]\n',
    },
    code: 'duplicate-step',
    at: 'b.yaml:3:3',
  },
  {
    name: 'topic declared differently in two files',
    files: { 'a.yaml': TOPICS, 'b.yaml': 'pipeline: other\ntopics:\n  orders:\n    partitions: 6\n    value: schemas/Order.avsc\n' },
    code: 'conflicting-topic',
    at: 'b.yaml:3:3',
    message: /also declared in a.yaml/,
  },
  {
    name: 'cycle between two steps',
    files: one(
      `${TOPICS}  forth:\n    input: orders\n    filter: amount > 1\n    outputs: [enriched]\n  back:\n    input: enriched\n    filter: amount > 1\n    outputs: [orders]\n`,
    ),
    code: 'cycle',
    at: 'a.yaml:11:12',
    message: /cycle: forth \(orders\) → back \(enriched\) → forth/,
  },
  {
    name: 'output key field absent from schema',
    files: one(
      `${TOPICS}  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    outputs: [enriched]\n    key: { field: custId }\n`,
    ),
    code: 'key-field-absent',
    at: 'a.yaml:14:19',
    message: /did you mean `customerId`/,
  },
  {
    name: 'retry delays not increasing',
    files: one(
      `${TOPICS}  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    outputs: [enriched]\n    retry: { delays: [30s, 5s] }\n`,
    ),
    code: 'retry-delays',
    at: 'a.yaml:14:28',
    message: /5s follows 30s/,
  },
  {
    name: 'transaction timeout below the batch budget',
    files: one(`${TOPICS}  notify:\n    input: orders\n    sink: { http: { url: "http://x" } }\n    rateLimit: { perSecond: 1 }\n`),
    code: 'transaction-timeout',
    at: 'a.yaml:10:3',
    message: /500 records at 1\/s/,
  },
  {
    name: 'threads with a per-process rate limit',
    files: one(
      `${TOPICS}  notify:\n    input: orders\n    sink: { http: { url: "http://x" } }\n    threads: 3\n    rateLimit: { perSecond: 1000, scope: local }\n`,
    ),
    code: 'invalid-value',
    at: 'a.yaml:13:14',
    message: /3 threads would allow 3 × 1000\/s/,
  },
  {
    name: 'reader schema cannot read the topic',
    files: one(
      `${TOPICS}  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    outputs: [enriched]\n    schema: schemas/OrderReaderNeedsField.avsc\n`,
    ),
    code: 'incompatible-edge',
    at: 'a.yaml:14:13',
    message: /`Order.discount`/,
  },
  {
    name: 'retry tier declared with other partitions',
    files: one(
      `${TOPICS}  orders.enrich.retry.5s:\n    partitions: 1\n    value: bytes\n`.replace('steps:\n', '') +
        `steps:\n  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    outputs: [enriched]\n`,
    ),
    code: 'partition-affinity',
    at: 'a.yaml:10:17',
    message: /needs the 3 partitions of `orders`/,
  },
  {
    name: 'postgres column maps a missing field',
    files: one(
      `${TOPICS}  store:\n    input: orders\n    sink:\n      postgres:\n        table: orders\n        key: [order_id]\n        columns: { order_id: orderId, total: amout }\n`,
    ),
    code: 'unknown-field',
    at: 'a.yaml:16:46',
    message: /did you mean `amount`/,
  },
  {
    name: 'version column with insert mode',
    files: one(
      `${TOPICS}  store:\n    input: orders\n    sink:\n      postgres:\n        table: orders\n        key: [order_id]\n        mode: insert\n        version: v\n        columns: { order_id: orderId, v: amount }\n`,
    ),
    code: 'invalid-value',
    at: 'a.yaml:17:18',
    message: /needs `mode: upsert`/,
  },
  // A column type is written into CREATE TABLE: SQL smuggled through it must stop at validate.
  ...['int, PRIMARY KEY (id)); DROP TABLE victim; CREATE TABLE dummy (id int', 'text; DROP TABLE victim', 'int -- ', 'text DEFAULT 1'].map(
    (type): Case => ({
      name: `postgres column type ${JSON.stringify(type)}`,
      files: one(
        `${TOPICS}  store:\n    input: orders\n    sink:\n      postgres:\n        table: orders\n        key: [order_id]\n        columns:\n          order_id: orderId\n          total: { field: amount, type: ${JSON.stringify(type)} }\n`,
      ),
      code: 'invalid-value',
      at: 'a.yaml:18:41',
      message: /is not a Postgres type name/,
    }),
  ),
];

describe('malformed topologies', () => {
  it(`covers at least 25 cases`, () => expect(cases.length).toBeGreaterThanOrEqual(25));

  it.each(cases)('$name → $code at $at', (c) => {
    const files = Object.keys(c.files);
    const result = compileTopology(files, { root: ROOT, texts: c.files, ...(c.env ? { env: c.env } : {}) });
    const found = result.diagnostics
      .filter((d) => d.code === c.code)
      .map((d) => ({ at: `${d.file}:${d.line}:${d.column}`, message: d.message }));
    expect(
      found.map((f) => f.at),
      JSON.stringify(result.diagnostics, null, 1),
    ).toContain(c.at);
    if (c.message) expect(found.find((f) => f.at === c.at)!.message).toMatch(c.message);
    expect(result.plan).toBeUndefined();
  });

  it('reports every error of a file at once', () => {
    const text = `${TOPICS}  enrich:\n    input: order\n    transform: transforms/t.ts#enrch\n    outputs: [enriched]\n    retires: {}\n    batch: { time: 5 }\n`;
    const codes = compileTopology(['a.yaml'], { root: ROOT, texts: { 'a.yaml': text } }).diagnostics.map((d) => d.code);
    expect(codes).toEqual(expect.arrayContaining(['unknown-key', 'invalid-value']));
    expect(codes.length).toBeGreaterThanOrEqual(2);
  });

  it('a compatible reader schema (promotion, defaulted new field) passes', () => {
    const text = `${TOPICS}  enrich:\n    input: orders\n    transform: transforms/t.ts#enrich\n    outputs: [enriched]\n    schema: schemas/OrderReaderOk.avsc\n`;
    const result = compileTopology(['a.yaml'], { root: ROOT, texts: { 'a.yaml': text } });
    expect(result.diagnostics).toEqual([]);
    expect(result.plan?.steps[0]?.readerSchema).toBe('schemas/OrderReaderOk.avsc');
  });
});
