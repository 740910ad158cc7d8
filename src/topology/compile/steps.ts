// Per-step checks and the step's part of the plan: its kind, topics, code or expressions, schemas,
// retry chain and limits.
import { fieldNames, fieldType } from '../../schema/avro.ts';
import { explainIssue, readIssues } from '../../schema/compat.ts';
import { didYouMean } from '../diagnostics.ts';
import { dlqHandledTopic, dlqTopic, groupId, retryKeysTopic, retryTierTopic, transactionalIdPrefix } from '../naming.ts';
import type { PlannedStep, StepKind } from '../plan.ts';
import { formatDuration, humanDuration } from '../spec/index.ts';
import type { CompileContext, Site, StepEntry } from './context.ts';
import { checkHttpUrl } from './http.ts';
import { checkPostgres } from './postgres.ts';
import { checkTransformModule } from './modules.ts';

const KINDS = ['transform', 'filter', 'map', 'route', 'sink'] as const;

function stepKind(ctx: CompileContext, entry: StepEntry, site: Site): StepKind | undefined {
  const d = entry.decl;
  const present = KINDS.filter((k) => d[k] !== undefined);
  if (present.length !== 1) {
    const what = present.length === 0 ? 'has none' : `has ${present.join(' and ')}`;
    ctx.diag.error(
      ctx.loc(site, 'key'),
      'step-kind',
      `step \`${entry.name}\` must be exactly one of transform, filter, map, route or sink; it ${what}`,
    );
    return undefined;
  }
  if (present[0] !== 'sink') return present[0];
  const sinks = (['postgres', 'http'] as const).filter((k) => d.sink?.[k] !== undefined);
  if (sinks.length !== 1) {
    ctx.diag.error(
      ctx.loc({ ...site, path: [...site.path, 'sink'] }, 'key'),
      'step-kind',
      `sink of step \`${entry.name}\` must have exactly one of postgres or http`,
    );
    return undefined;
  }
  return sinks[0];
}

function outputsOf(ctx: CompileContext, entry: StepEntry, kind: StepKind, site: Site): string[] {
  const d = entry.decl;
  const at = (...p: (string | number)[]) => ({ ...site, path: [...site.path, ...p] });
  if (kind === 'route') {
    if (d.outputs)
      ctx.diag.error(
        ctx.loc(at('outputs'), 'key'),
        'invalid-value',
        'a route step derives its outputs from `route.cases` and `route.default`; remove `outputs`',
      );
    const cases = Object.entries(d.route!.cases);
    for (const [value, topic] of cases) ctx.requireTopic(topic, at('route', 'cases', value), 'route');
    if (d.route!.default) ctx.requireTopic(d.route!.default, at('route', 'default'), 'route default');
    return [...new Set([...cases.map(([, t]) => t), ...(d.route!.default ? [d.route!.default] : [])])].sort();
  }
  if (kind === 'postgres' || kind === 'http') {
    if (d.outputs)
      ctx.diag.error(ctx.loc(at('outputs'), 'key'), 'invalid-value', 'a sink step writes to its external system; remove `outputs`');
    return [];
  }
  if (!d.outputs) {
    ctx.diag.error(ctx.loc(site, 'key'), 'missing-key', `step \`${entry.name}\` (${kind}) needs \`outputs\`: the topics it writes`);
    return [];
  }
  d.outputs.forEach((t, i) => ctx.requireTopic(t, at('outputs', i), 'output'));
  return d.outputs;
}

/** The step's reader schema must be able to read what producers write to its input topic. */
function checkReaderSchema(ctx: CompileContext, entry: StepEntry, site: Site): string | null {
  const d = entry.decl;
  const topic = ctx.topics.get(d.input);
  const topicSchema = topic?.decl.value.format === 'avro' ? topic.decl.value.schema : null;
  if (!d.schema) return topicSchema;
  const at = { ...site, path: [...site.path, 'schema'] };
  const reader = ctx.schema(d.schema, at);
  if (!topic) return d.schema;
  if (!topicSchema) {
    ctx.diag.error(
      ctx.loc(at),
      'incompatible-edge',
      `step reads \`${d.input}\` with an Avro schema, but the topic's values are ${topic.decl.value.format}`,
    );
    return d.schema;
  }
  const writer = ctx.schemaIfValid(topicSchema);
  if (reader && writer) {
    const issues = readIssues(reader.type, writer.type);
    if (issues.length > 0) {
      ctx.diag.error(
        ctx.loc(at),
        'incompatible-edge',
        `reader schema ${d.schema} cannot read \`${d.input}\` values written with ${topicSchema}: ${issues.map((i) => explainIssue(i, 'edge')).join('; ')}`,
      );
    }
  }
  return d.schema;
}

function checkKeyRule(ctx: CompileContext, entry: StepEntry, outputs: string[], site: Site): void {
  const rule = entry.decl.key;
  if (rule === 'keep') return;
  for (const out of outputs) {
    const topic = ctx.topics.get(out);
    if (topic?.decl.value.format !== 'avro') continue;
    const schema = ctx.schemaIfValid(topic.decl.value.schema);
    if (schema && !fieldType(schema.type, rule.field)) {
      const guess = didYouMean(rule.field, fieldNames(schema.type));
      ctx.diag.error(
        ctx.loc({ ...site, path: [...site.path, 'key', 'field'] }),
        'key-field-absent',
        `output key field \`${rule.field}\` is not in the schema of \`${out}\` (${topic.decl.value.schema})` +
          (guess ? ` — did you mean \`${guess}\`?` : ''),
        guess ? undefined : `fields: ${fieldNames(schema.type).join(', ')}`,
      );
    }
  }
}

function checkRetryDelays(ctx: CompileContext, entry: StepEntry, site: Site): void {
  const delays = entry.decl.retry.delays;
  for (let i = 1; i < delays.length; i++) {
    if (delays[i]! <= delays[i - 1]!) {
      ctx.diag.error(
        ctx.loc({ ...site, path: [...site.path, 'retry', 'delays', i] }),
        'retry-delays',
        `retry delays must increase: ${formatDuration(delays[i]!)} follows ${formatDuration(delays[i - 1]!)}`,
        'each tier waits longer than the one before it (e.g. [5s, 30s, 5m])',
      );
    }
  }
}

/** One batch must fit in one transaction: collecting, rate-limited processing, one slow record. */
function checkTransactionBudget(ctx: CompileContext, entry: StepEntry, site: Site): void {
  const d = entry.decl;
  const rateMs = d.rateLimit ? Math.ceil((d.batch.records / d.rateLimit.perSecond) * 1000) : 0;
  const budget = d.batch.time + rateMs + d.timeout;
  if (d.transactionTimeout > budget) return;
  const parts = [
    `${formatDuration(d.batch.time)} to collect`,
    ...(rateMs ? [`${d.batch.records} records at ${d.rateLimit!.perSecond}/s (${formatDuration(rateMs)})`] : []),
    `a ${formatDuration(d.timeout)} timeout for a slow record`,
  ];
  ctx.diag.error(
    ctx.loc({ ...site, path: [...site.path, 'transactionTimeout'] }),
    'transaction-timeout',
    `transactionTimeout ${formatDuration(d.transactionTimeout)} is shorter than one batch of step \`${entry.name}\` may take: ${parts.join(' + ')} = ${humanDuration(budget)}`,
    `raise transactionTimeout above ${humanDuration(budget)}, or lower batch.records${rateMs ? ' or raise rateLimit.perSecond' : ''} / timeout`,
  );
}

export function planStep(ctx: CompileContext, entry: StepEntry): PlannedStep | undefined {
  const site: Site = { file: entry.file, path: ['steps', entry.name] };
  const d = entry.decl;
  const errorsBefore = ctx.diag.errors.length;
  const kind = stepKind(ctx, entry, site);
  const inputOk = ctx.requireTopic(d.input, { ...site, path: [...site.path, 'input'] }, 'input');
  if (!kind) return undefined;
  const outputs = outputsOf(ctx, entry, kind, site);
  const transform = checkTransformModule(ctx, entry, site);
  const readerSchema = inputOk ? checkReaderSchema(ctx, entry, site) : null;
  checkKeyRule(ctx, entry, outputs, site);
  checkRetryDelays(ctx, entry, site);
  checkTransactionBudget(ctx, entry, site);
  const postgres = checkPostgres(ctx, entry, readerSchema, site);
  checkHttpUrl(ctx, entry, site);
  if (kind === 'postgres' && d.retry.preserveKeyOrder) {
    ctx.diag.error(
      ctx.loc({ ...site, path: [...site.path, 'retry', 'preserveKeyOrder'] }),
      'invalid-value',
      'ordered retries are not available for Postgres sinks',
      'use a version column (`version:`) so that an older record never overwrites a newer row instead',
    );
  }
  if (d.ordering === 'partition' && d.concurrency > 1) {
    ctx.diag.warn(
      ctx.loc({ ...site, path: [...site.path, 'concurrency'] }),
      'invalid-value',
      '`concurrency` only applies with `ordering: key`; this step processes its partitions in order',
    );
  }
  if (d.threads > 1 && d.rateLimit && d.rateLimit.scope !== 'redis') {
    ctx.diag.error(
      ctx.loc({ ...site, path: [...site.path, 'threads'] }),
      'invalid-value',
      `a local rate limit is per process: ${d.threads} threads would allow ${d.threads} × ${d.rateLimit.perSecond}/s`,
      'share the bucket between the threads with `rateLimit: { scope: redis }`, or run one thread',
    );
  }
  if (ctx.diag.errors.length > errorsBefore) return undefined;
  const http = d.sink?.http;
  return {
    name: entry.name,
    pipeline: entry.pipeline,
    file: entry.file.relPath,
    kind,
    input: d.input,
    group: d.group ?? groupId(entry.pipeline, entry.name),
    transactionalIdPrefix: transactionalIdPrefix(entry.pipeline, entry.name),
    readerSchema,
    outputs,
    key: d.key,
    transform,
    filter: d.filter ?? null,
    map: d.map ?? null,
    route: d.route ? { by: d.route.by, cases: d.route.cases, default: d.route.default ?? null } : null,
    postgres,
    http: http
      ? {
          url: http.url,
          method: http.method,
          headers: http.headers,
          idempotencyHeader: http.idempotencyHeader,
          idempotencyKeyField: http.idempotencyKeyField ?? null,
          trustEventIdHeader: http.trustEventIdHeader,
          timeoutMs: http.timeout,
          deliveryRecordTtlMs: http.deliveryRecordTtl ?? null,
        }
      : null,
    batch: { records: d.batch.records, bytes: d.batch.bytes, timeMs: d.batch.time },
    ordering: d.ordering,
    concurrency: d.concurrency,
    threads: d.threads,
    timeoutMs: d.timeout,
    transactionTimeoutMs: d.transactionTimeout,
    retry: {
      tiers: d.retry.delays.map((delayMs) => ({ topic: retryTierTopic(d.input, entry.name, delayMs), delayMs })),
      dlq: dlqTopic(d.input, entry.name),
      dlqHandled: dlqHandledTopic(d.input, entry.name),
      retryOn: d.retry.retryOn,
      dlqOn: d.retry.dlqOn,
      preserveKeyOrder: d.retry.preserveKeyOrder,
      keysTopic: d.retry.preserveKeyOrder ? retryKeysTopic(d.input, entry.name) : null,
    },
    rateLimit: d.rateLimit
      ? {
          perSecond: d.rateLimit.perSecond,
          burst: d.rateLimit.burst ?? Math.ceil(d.rateLimit.perSecond),
          scope: d.rateLimit.scope,
          onRedisDown: d.rateLimit.onRedisDown,
        }
      : null,
  };
}
