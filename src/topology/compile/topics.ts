// Topics of the plan: the declared ones, the retry tiers / DLQs / bookkeeping topics each step
// derives (with its input's partition count, so key affinity holds), and the schema subjects.
import type { FormatRef } from '../language.ts';
import { AUDIT_TOPIC, subjectName } from '../naming.ts';
import type { PlannedStep, PlannedSubject, PlannedTopic } from '../plan.ts';
import type { CompileContext } from './context.ts';

const DAY = 86_400_000;
const MAX_BYTES = 'max.message.bytes';

export function plannedTopics(ctx: CompileContext, steps: PlannedStep[]): PlannedTopic[] {
  const out = new Map<string, PlannedTopic>();
  for (const t of ctx.topics.values()) {
    const config = { ...t.decl.config, ...(t.decl.retention !== undefined ? { 'retention.ms': String(t.decl.retention) } : {}) };
    out.set(t.name, {
      name: t.name,
      role: 'declared',
      partitions: t.decl.partitions,
      replicationFactor: t.decl.replicationFactor ?? null,
      config: sortKeys(config),
      key: t.decl.key,
      value: t.decl.value,
      step: null,
      compatibility: t.decl.compatibility,
    });
  }
  for (const step of steps) {
    const input = ctx.topics.get(step.input);
    if (!input) continue;
    const derive = (name: string, role: PlannedTopic['role'], config: Record<string, string>, key: FormatRef, value: FormatRef) => {
      const existing = out.get(name);
      if (existing && existing.role === 'declared') {
        if (existing.partitions !== input.decl.partitions) {
          const site = { file: ctx.topics.get(name)!.file, path: ['topics', name, 'partitions'] };
          ctx.diag.error(
            ctx.loc(site),
            'partition-affinity',
            `\`${name}\` is ${role === 'dlq' ? 'the DLQ' : 'a retry topic'} of step \`${step.name}\` and needs the ${input.decl.partitions} partitions of \`${step.input}\`, not ${existing.partitions}`,
            'records keep their partition through the retry chain; with other counts a key lands on another partition and loses its order',
          );
        }
        return;
      }
      out.set(name, {
        name,
        role,
        partitions: input.decl.partitions,
        replicationFactor: input.decl.replicationFactor ?? null,
        config: sortKeys(config),
        key,
        value,
        step: step.name,
        compatibility: 'NONE',
      });
    };
    // Every topic the step writes accepts what its input accepts: a record the input took must not
    // be refused by its retry tier, its DLQ or (unless the topology says otherwise) its outputs.
    const inputLimit = input.decl.config[MAX_BYTES];
    const sized = (config: Record<string, string>) => (inputLimit === undefined ? config : { ...config, [MAX_BYTES]: inputLimit });
    for (const tier of step.retry.tiers) {
      derive(tier.topic, 'retry', sized({ 'retention.ms': String(Math.max(7 * DAY, tier.delayMs * 4)) }), input.decl.key, input.decl.value);
    }
    derive(step.retry.dlq, 'dlq', sized({ 'retention.ms': String(30 * DAY) }), input.decl.key, input.decl.value);
    for (const name of inputLimit === undefined ? [] : step.outputs) {
      const output = out.get(name);
      if (!output || ctx.topics.get(name)?.decl.config[MAX_BYTES] !== undefined) continue;
      const current = Number(output.config[MAX_BYTES] ?? 0);
      if (Number(inputLimit) > current) output.config = sortKeys({ ...output.config, [MAX_BYTES]: inputLimit! });
    }
    derive(step.retry.dlqHandled, 'dlq-handled', { 'cleanup.policy': 'compact' }, { format: 'string' }, { format: 'json' });
    if (step.retry.keysTopic)
      derive(step.retry.keysTopic, 'retry-keys', { 'cleanup.policy': 'compact' }, { format: 'bytes' }, { format: 'json' });
  }
  if (steps.length > 0) {
    out.set(AUDIT_TOPIC, {
      name: AUDIT_TOPIC,
      role: 'audit',
      partitions: 1,
      replicationFactor: null,
      config: { 'retention.ms': String(365 * DAY) },
      key: { format: 'string' },
      value: { format: 'json' },
      step: null,
      compatibility: 'NONE',
    });
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function plannedSubjects(ctx: CompileContext): PlannedSubject[] {
  const out: PlannedSubject[] = [];
  for (const t of ctx.topics.values()) {
    for (const part of ['key', 'value'] as const) {
      const ref = t.decl[part];
      if (ref.format !== 'avro') continue;
      const schema = ctx.schema(ref.schema, { file: t.file, path: ['topics', t.name, part] });
      if (!schema) continue;
      out.push({
        subject: subjectName(t.name, part),
        topic: t.name,
        part,
        schema: ref.schema,
        fingerprint: schema.fingerprint,
        compatibility: t.decl.compatibility,
        register: true,
      });
    }
  }
  return out.sort((a, b) => a.subject.localeCompare(b.subject));
}

/**
 * Which subjects deploy registers. A topic that no step writes and only sink steps read belongs to
 * its producer: registering the local copy of its schema would add a version to someone else's
 * subject (and could change its compatibility level), while the sink needs nothing registered — it
 * decodes by the schema id in each record. Other topics keep their schemas registered, as sources
 * that `weir produce` or the team's producers write with the registered id. `registerSchema` decides.
 */
export function subjectOwnership(ctx: CompileContext, subjects: PlannedSubject[], steps: PlannedStep[]): PlannedSubject[] {
  const written = new Set(steps.flatMap((s) => s.outputs));
  const isSink = (s: PlannedStep) => s.kind === 'postgres' || s.kind === 'http';
  const onlySunk = (topic: string) => {
    const readers = steps.filter((s) => s.input === topic);
    return !written.has(topic) && readers.length > 0 && readers.every(isSink);
  };
  return subjects.map((s) => ({ ...s, register: ctx.topics.get(s.topic)?.decl.registerSchema ?? !onlySunk(s.topic) }));
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
