// The human-readable rendering of a plan (`weir plan` without --json).
import type { Plan, PlannedStep, PlannedTopic } from '../topology/plan.ts';
import { formatDuration, formatSize } from '../topology/spec/index.ts';

const fmt = (f: PlannedTopic['value']) => (f.format === 'avro' ? `avro ${f.schema}` : f.format);

function topicLine(t: PlannedTopic): string {
  const extras = Object.entries(t.config).map(([k, v]) => (k === 'retention.ms' ? `retention ${formatDuration(Number(v))}` : `${k}=${v}`));
  const role = t.role === 'declared' ? '' : `  [${t.role} of ${t.step}]`;
  return `  ${t.name}  ${t.partitions}p${t.replicationFactor ? ` rf${t.replicationFactor}` : ''}  key ${fmt(t.key)}  value ${fmt(t.value)}${extras.length ? `  ${extras.join(' ')}` : ''}${role}`;
}

function what(step: PlannedStep): string {
  switch (step.kind) {
    case 'transform':
      return `transform ${step.transform!.module}#${step.transform!.export}`;
    case 'filter':
      return `filter ${JSON.stringify(step.filter)}`;
    case 'map':
      return `map ${JSON.stringify(step.map)}`;
    case 'route':
      return `route by ${JSON.stringify(step.route!.by)}`;
    case 'postgres': {
      const pg = step.postgres!;
      const columns = `columns${pg.columnsFrom === 'auto' ? ` (auto: fields of ${step.readerSchema})` : ''}: ${pg.columns.map((c) => c.name).join(', ')}`;
      return `postgres sink → table ${pg.table} (${pg.mode} by ${pg.key.join(', ')}${pg.version ? `, version ${pg.version}` : ''}); ${columns}; on tombstone: ${pg.onTombstone}`;
    }
    case 'http':
      return `http sink → ${step.http!.method} ${step.http!.url} (${step.http!.idempotencyHeader})`;
  }
}

function stepLines(s: PlannedStep): string[] {
  const tiers = s.retry.tiers.map((t) => formatDuration(t.delayMs)).join(' → ');
  const lines = [
    `  ${s.name}  ${what(s)}`,
    `    ${s.input} → ${s.outputs.length ? s.outputs.join(', ') : '(external)'}   group ${s.group}   transactional ids ${s.transactionalIdPrefix}<instance>`,
    `    batch ≤ ${s.batch.records} records / ${formatSize(s.batch.bytes)} / ${formatDuration(s.batch.timeMs)}   ordering ${s.ordering}${s.ordering === 'key' ? ` ×${s.concurrency}` : ''}   timeout ${formatDuration(s.timeoutMs)}   transaction timeout ${formatDuration(s.transactionTimeoutMs)}`,
    `    retry ${tiers} → ${s.retry.dlq}${s.retry.dlqOn.length ? `   straight to DLQ: ${s.retry.dlqOn.join(', ')}` : ''}${s.retry.retryOn.length ? `   retry only: ${s.retry.retryOn.join(', ')}` : ''}${s.retry.preserveKeyOrder ? `   key order preserved (${s.retry.keysTopic})` : ''}`,
  ];
  if (s.rateLimit)
    lines.push(`    rate limit ${s.rateLimit.perSecond}/s burst ${s.rateLimit.burst} (${s.rateLimit.scope}, ${s.rateLimit.onRedisDown})`);
  if (s.readerSchema) lines.push(`    reads values with ${s.readerSchema}`);
  if (s.key !== 'keep') lines.push(`    output key: field ${s.key.field}`);
  return lines;
}

export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  for (const p of plan.pipelines) out.push(`pipeline ${p.name} (${p.file})${p.description ? ` — ${p.description}` : ''}`);
  out.push('', `topics (${plan.topics.length}):`, ...plan.topics.map(topicLine));
  out.push(
    '',
    `schema subjects (${plan.subjects.length}):`,
    ...plan.subjects.map(
      (s) =>
        `  ${s.subject}  ${s.schema}  ${s.compatibility}  sha256:${s.fingerprint}${s.register ? '' : '  (left to its producer: not registered)'}`,
    ),
  );
  out.push('', `steps (${plan.steps.length}):`);
  for (const s of plan.steps) out.push(...stepLines(s));
  if (plan.env.length) out.push('', 'environment variables:', ...plan.env.map((e) => `  ${e.name}  (${e.usedBy})`));
  return out.join('\n');
}
