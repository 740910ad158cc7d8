// The topology language: every option, declared once. The parser, defaults, docs/topology.md and
// topology.schema.json are all derived from these declarations.
import jsonata from 'jsonata';
import { isScalar, type Node } from 'yaml';
import { KAFKA_TOPIC_CONFIGS } from './kafka-topic-configs.ts';
import { nodeKind, report, type EnvPhase } from './spec/core.ts';
import { s, type Infer } from './spec/index.ts';
import { envRefs } from './templates.ts';

export const COMPATIBILITY_LEVELS = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const;

const TOPIC_NAME = { regex: /^[A-Za-z0-9._-]{1,249}$/, explain: 'is not a valid Kafka topic name (letters, digits, ".", "_", "-")' };
const STEP_NAME = {
  regex: /^[a-z][a-z0-9-]*$/,
  explain: 'must start with a lowercase letter and use only lowercase letters, digits and "-"',
};
/** A Postgres column name weir accepts: an unquoted-style identifier within Postgres' 63-byte limit. */
export const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const IDENTIFIER = { regex: /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, explain: 'is not a field path (e.g. customer.id)' };

/** How a key or value is encoded: Avro with a schema file, or a plain format. */
export type FormatRef = { format: 'string' | 'bytes' | 'json' } | { format: 'avro'; schema: string };

const format = s.custom<FormatRef>(
  '`string` | `bytes` | `json` | path to an `.avsc` file',
  { type: 'string', examples: ['string', 'schemas/orders/OrderCreated.avsc'] },
  (node, _path, ctx) => {
    const v = node && isScalar(node) ? node.value : undefined;
    if (v === 'string' || v === 'bytes' || v === 'json') return { format: v };
    if (typeof v === 'string' && v.endsWith('.avsc')) return { format: 'avro', schema: v };
    return report(ctx, node, 'invalid-value', `expected string, bytes, json or an .avsc schema path, got ${nodeKind(node)}`);
  },
);

const expression = (what: string) =>
  s.custom<string>('JSONata expression', { type: 'string' }, (node, _path, ctx) => {
    const v = node && isScalar(node) ? node.value : undefined;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      return report(ctx, node, 'wrong-type', `expected ${what} (a JSONata expression), got ${nodeKind(node)}`);
    }
    const text = String(v);
    try {
      jsonata(text);
      return text;
    } catch (err) {
      const e = err as { position?: number; message: string };
      const quoted = node && isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') ? 1 : 0;
      const start = (node?.range?.[0] ?? 0) + quoted + Math.max(0, (e.position ?? 1) - 1);
      ctx.diag.error(
        ctx.src.offsetLoc(start),
        'invalid-expression',
        `${what} does not parse: ${e.message}`,
        'see https://docs.jsonata.org for the expression language',
      );
      return undefined;
    }
  });

/**
 * A string that may reference environment variables as ${VAR} or ${VAR:-default}; `neededBy` is the
 * first command that resolves it (`deploy` and `validate` do not ask for variables only `run` uses).
 */
const template = (neededBy: EnvPhase) =>
  s.custom<string>('string with `${VAR}` references', { type: 'string' }, (node: Node | null, path, ctx) => {
    const v = node && isScalar(node) ? node.value : undefined;
    if (typeof v !== 'string' && typeof v !== 'number') return report(ctx, node, 'wrong-type', `expected a string, got ${nodeKind(node)}`);
    const text = String(v);
    const { refs, malformed } = envRefs(text);
    if (malformed)
      return report(ctx, node, 'invalid-value', `malformed environment reference ${malformed}`, 'write ${NAME} or ${NAME:-default}');
    for (const r of refs)
      ctx.envRefs.push({ name: r.name, hasFallback: r.fallback !== undefined, path, loc: ctx.src.nodeLoc(node), neededBy });
    return text;
  });

const topicName = () => s.string(TOPIC_NAME);

export const topicSpec = s.object('topic', {
  partitions: s.int(1, 100_000).describe('Number of partitions: the upper bound of parallelism for steps reading this topic.').example(6),
  replicationFactor: s.int(1).optional().describe("Replicas per partition; default: the broker's `default.replication.factor`."),
  retention: s.duration().optional().describe('How long records are kept (`retention.ms`); default: the broker default.').example('7d'),
  key: format.default({ format: 'string' }, '`string`').describe('Encoding of record keys.'),
  value: format
    .describe('Encoding of record values; an `.avsc` path (relative to the project root) makes it Avro through the schema registry.')
    .example('schemas/orders/OrderCreated.avsc'),
  compatibility: s
    .enum(COMPATIBILITY_LEVELS)
    .default('BACKWARD')
    .describe('Compatibility level of the subjects `<topic>-key` and `<topic>-value`.'),
  registerSchema: s
    .boolean()
    .computedDefault('`false` when only sink steps read the topic and no step writes it, else `true`')
    .describe(
      "`weir deploy` registers the topic's `.avsc` files as the subjects `<topic>-key` / `<topic>-value` and sets their compatibility level. A topic this topology only sinks belongs to its producer: deploy leaves those subjects alone (no new version, no compatibility change), and sinks read each record with the writer's schema (the id in the record) resolved to the local file. `true` registers anyway (this repository owns the contract); `false` never registers.",
    ),
  config: s
    .map(s.string(), 'topic config', {
      names: KAFKA_TOPIC_CONFIGS,
      explain: 'Kafka 4.x topic configs: https://kafka.apache.org/documentation/#topicconfigs',
    })
    .default({}, '{}')
    .describe(
      'Further topic configs by their Kafka names (e.g. `cleanup.policy`, `max.message.bytes`); a name Kafka 4.x does not have is an error.',
    )
    .example({ 'cleanup.policy': 'compact' }),
});

export const batchSpec = s.object('batch', {
  records: s.int(1, 100_000).default(500).describe('Most records in one transaction.'),
  bytes: s
    .size()
    .default(1024 * 1024, '1MiB')
    .describe('Most record bytes (keys + values) in one transaction.'),
  time: s
    .duration({ allowZero: true })
    .default(100, '100ms')
    .describe('Longest time a batch stays open collecting records before it commits; `0ms`: what one poll returns.'),
});

export const retrySpec = s.object('retry policy', {
  delays: s
    .list(s.duration(), 1)
    .default([5_000, 30_000, 300_000], '[5s, 30s, 5m]')
    .describe('One retry tier per delay, in increasing order; after the last, the DLQ.'),
  retryOn: s
    .list(s.string())
    .default([], '[] (all errors)')
    .describe('Error names (`err.name`) that retry; when empty every error retries except those that go to the DLQ.'),
  dlqOn: s
    .list(s.string())
    .default([], '[]')
    .describe('Error names that go straight to the DLQ. Deserialization and schema errors always do.'),
  preserveKeyOrder: s
    .boolean()
    .default(false)
    .describe(
      "While a key has a record in the retry chain, later records of that key follow it instead of overtaking it. Costs a compacted bookkeeping topic and the delay of the key's later records.",
    ),
});

export const rateLimitSpec = s.object('rate limit', {
  perSecond: s.number(0).describe('Sustained records per second across all instances of the step.').example(100),
  burst: s.int(1).computedDefault('`perSecond` rounded up').describe('Bucket size: records that may go at once after a quiet period.'),
  scope: s
    .enum(['redis', 'local'] as const)
    .default('redis')
    .describe('`redis`: one bucket shared by every instance; `local`: a bucket per process.'),
  onRedisDown: s
    .enum(['fail-closed', 'fail-open'] as const)
    .default('fail-closed')
    .describe('When Redis is unreachable: wait (`fail-closed`) or continue with the local bucket (`fail-open`).'),
});

const outputKey = s.either(
  '`keep` or `{ field: <path> }`',
  s.enum(['keep'] as const),
  s.object('output key rule', {
    field: s.string(IDENTIFIER).describe('Field of the output value to use as the key.').example('customerId'),
  }),
);

/**
 * A Postgres type name and nothing else: it is written into CREATE TABLE and into casts, so a
 * topology must not be able to smuggle SQL through it. A (schema-qualified) identifier or one of
 * the multi-word built-in names, an optional (precision[, scale]) and array brackets.
 */
const POSTGRES_TYPE =
  /^(?:double precision|character varying|bit varying|(?:timestamp|time)(?: ?\(\d+\))? with(?:out)? time zone|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)(?: ?\(\d+(?:, ?\d+)?\))?(?:\[\d*\])*$/;

const columnSpec = s.either(
  'field path or column map',
  s
    .string()
    .describe(
      'Field path in the record value (e.g. `customer.id`), or `$eventId`, `$key`, `$topic`, `$partition`, `$offset`, `$timestamp`.',
    ),
  s.object('column', {
    field: s.string().describe('Field path, or one of the `$` record attributes.'),
    type: s
      .string({
        regex: POSTGRES_TYPE,
        explain: 'is not a Postgres type name (like `numeric(12,2)`, `text[]`, `double precision`, `myschema.mytype`)',
      })
      .optional()
      .describe('Postgres column type; default: derived from the Avro type. A type name only: it becomes part of the DDL.')
      .example('numeric(12,2)'),
  }),
);

export const postgresSinkSpec = s.object('postgres sink', {
  table: s
    .string({ regex: /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, explain: 'is not a table name (optionally schema-qualified)' })
    .describe('Target table.')
    .example('orders'),
  key: s.list(s.string(), 1).describe('Primary key columns: the identity a replay cannot duplicate.').example(['order_id']),
  mode: s
    .enum(['insert', 'upsert'] as const)
    .default('upsert')
    .describe('`insert`: first write wins, replays change nothing; `upsert`: newer records update the row.'),
  version: s
    .string()
    .optional()
    .describe('Monotonic column for upserts: an older record never overwrites a newer row.')
    .example('updated_at'),
  columns: s
    .either(
      '`auto` or map of column → field path or column map',
      s.enum(['auto'] as const),
      s.map(columnSpec, 'column', {
        regex: COLUMN_NAME,
        explain: 'is not a column name (letters, digits and _, not starting with a digit, at most 63)',
      }),
    )
    .describe(
      "Column → source mapping; or `auto`: one column per top-level field of the input's value schema, named as the field and typed as a mapped field would be (a field name that is not a column name is an error).",
    )
    .example({ order_id: 'orderId', amount: { field: 'amount', type: 'numeric(12,2)' } }),
  createTable: s
    .boolean()
    .default(true)
    .describe('`weir deploy` creates the table from the mapping when it does not exist (else it only verifies it).'),
  onTombstone: s
    .enum(['dlq', 'delete', 'ignore'] as const)
    .default('dlq')
    .describe(
      "A record whose value is null (a tombstone): `dlq` sends it to the DLQ, as Kafka Connect's JDBC sink fails on one without `delete.enabled`; `delete` deletes the row whose key columns the record key gives (a primitive key fills the one key column, an Avro or JSON key its fields by name; `$key` columns the key's text), unconditionally (a tombstone has no version), in the batch's transaction; `ignore` skips it (logged at debug).",
    ),
});

export const httpSinkSpec = s.object('http sink', {
  url: template('run').describe('Endpoint, an http(s) URL; may reference environment variables (any part of it).').example('${NOTIFY_URL}'),
  method: s
    .enum(['POST', 'PUT'] as const)
    .default('POST')
    .describe('HTTP method.'),
  headers: s
    .map(template('run'), 'header')
    .default({}, '{}')
    .describe('Extra request headers; values may reference environment variables (kept out of plans and logs).'),
  idempotencyHeader: s.string().default('Idempotency-Key').describe('Header that carries the idempotency key.'),
  idempotencyKeyField: s
    .string(IDENTIFIER)
    .optional()
    .describe("Field to use as the idempotency key; default: the record's coordinates (pipeline, step, input topic, partition, offset)."),
  trustEventIdHeader: s
    .boolean()
    .default(false)
    .describe(
      "Take the idempotency key from the record's `weir.event.id` header when it has one. Only for inputs written by weir steps or producers you trust: whoever writes the header chooses the key (and can make the receiver drop a request as a duplicate); in return an upstream replay yields the same keys.",
    ),
  timeout: s.duration().default(10_000, '10s').describe('Request timeout; a timeout is retried.'),
  deliveryRecordTtl: s
    .duration()
    .optional()
    .describe('For receivers without idempotency keys: remember delivered event ids in Redis this long and skip re-sends.')
    .example('7d'),
});

export const sinkSpec = s.object('sink', {
  postgres: postgresSinkSpec.optional().describe('Write to Postgres with offsets in the same database transaction (exactly-once effect).'),
  http: httpSinkSpec.optional().describe('Deliver to an HTTP endpoint with an idempotency key (at-least-once delivery).'),
});

export const routeSpec = s.object('route', {
  by: expression('route.by').describe('Expression whose value picks the output.').example('country'),
  cases: s.map(topicName(), 'value').describe('Value → output topic.').example({ DE: 'orders.de', FR: 'orders.fr' }),
  default: topicName().optional().describe('Topic for values without a case; without it such records are dropped.'),
});

export const stepSpec = s.object('step', {
  input: topicName().describe('Topic this step consumes.').example('orders.created'),
  transform: s
    .string({ regex: /^[^#]+#[A-Za-z_$][\w$]*$/, explain: 'must be `<module path>#<export>`' })
    .optional()
    .describe('User code: `<module>#<export>`, TypeScript or JavaScript, relative to the project root.')
    .example('transforms/enrich.ts#enrich'),
  filter: expression('filter')
    .optional()
    .describe('Keep records for which the expression is true (no code needed).')
    .example('amount > 1000'),
  map: s
    .either('expression or map of field → expression', expression('map'), s.map(expression('map field'), 'field'))
    .optional()
    .describe('Build the output value: one expression, or one per output field.')
    .example({ orderId: 'orderId', total: 'amount * 1.19' }),
  route: routeSpec.optional().describe('Send each record to the output chosen by a value.'),
  sink: sinkSpec.optional().describe('Deliver to an external system instead of Kafka.'),
  outputs: s
    .list(topicName(), 1)
    .optional()
    .describe('Topics the step may write (transform, filter, map); the first is the default.')
    .example(['orders.enriched']),
  key: outputKey.default('keep', '`keep`').describe('Key of output records: the input key, or a field of the output value.'),
  schema: s
    .string()
    .optional()
    .describe("Reader schema for the input values (an .avsc path); default: the input topic's schema.")
    .example('schemas/orders/OrderCreated.avsc'),
  group: s.string().optional().describe('Consumer group id; default: `weir.<pipeline>.<step>`.'),
  batch: batchSpec.default({ records: 500, bytes: 1024 * 1024, time: 100 }).describe('Bounds of one transaction.'),
  ordering: s
    .enum(['partition', 'key'] as const)
    .default('partition')
    .describe('`partition`: strictly in order per partition; `key`: distinct keys may run concurrently, each key in order.'),
  concurrency: s.int(1, 10_000).default(1).describe('Records processed at once in `key` ordering.'),
  threads: s
    .int(1, 64)
    .default(1)
    .describe(
      "Worker processes `weir run` starts for this step (Kafka Streams' `num.stream.threads`): each owns some of the partitions, with its own consumer, transactional producer and transactional id (`<instance id>-<n>`).",
    ),
  timeout: s
    .duration()
    .default(30_000, '30s')
    .describe('Longest time one record may take in the transform or the sink call; then it counts as a retryable timeout.'),
  transactionTimeout: s
    .duration()
    .default(60_000, '60s')
    .describe("`transaction.timeout.ms` of the step's producer; must exceed the time one batch may take."),
  retry: retrySpec
    .default({ delays: [5_000, 30_000, 300_000], retryOn: [], dlqOn: [], preserveKeyOrder: false })
    .describe('Delayed retry tiers and the DLQ.'),
  rateLimit: rateLimitSpec.optional().describe('Token bucket for the step (e.g. a provider that allows 100 calls/s).'),
});

export const pipelineSpec = s.object('pipeline file', {
  pipeline: s.string(STEP_NAME).describe('Name of the pipeline; prefixes consumer groups and transactional ids.').example('orders'),
  description: s.string().optional().describe('What the pipeline is for.'),
  topics: s.map(topicSpec, 'topic', TOPIC_NAME).default({}, '{}').describe('Topics this file declares.'),
  steps: s
    .map(stepSpec, 'step', STEP_NAME)
    .default({}, '{}')
    .describe('Steps, each consuming one input topic with its own consumer group.'),
});

export type TopicDecl = Infer<typeof topicSpec>;
export type StepDecl = Infer<typeof stepSpec>;
export type PipelineDecl = Infer<typeof pipelineSpec>;
export type PostgresSinkDecl = Infer<typeof postgresSinkSpec>;
export type HttpSinkDecl = Infer<typeof httpSinkSpec>;
export type RateLimitDecl = Infer<typeof rateLimitSpec>;
