// `weir replay` and `weir lag`: resetting a step's position, and watching it.
import { stepLag, type StepLag } from '../../admin/lag.ts';
import { executeReplay, planReplay, type ReplayPlan, type ResetSpec } from '../../admin/replay.ts';
import type { Plan, PlannedStep } from '../../topology/plan.ts';
import { formatDuration } from '../../topology/spec/index.ts';
import { UsageError, type ParsedArgs } from '../args.ts';
import { EXECUTE_OPTION, JSON_OPTION, type Command, type Io } from '../command.ts';
import { databaseUrl, kafka } from '../connections.ts';
import { parseTime } from '../progress.ts';
import { compileFiles, FILES_ARG, planOrReport } from '../topology-input.ts';

function loadPlan(args: ParsedArgs, io: Io): Plan | undefined {
  return compileFiles(args.positionals).plan ?? planOrReport(args.positionals, io);
}

function specOf(args: ParsedArgs): ResetSpec {
  const o = args.options;
  const given = ['to-earliest', 'to-latest', 'to-datetime', 'to-offset', 'shift-by'].filter((k) => o[k] !== undefined);
  if (given.length !== 1)
    throw new UsageError(
      `give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset, --shift-by${given.length ? `; got ${given.map((g) => `--${g}`).join(' and ')}` : ''}`,
      'replay',
    );
  switch (given[0]) {
    case 'to-earliest':
      return { kind: 'earliest' };
    case 'to-latest':
      return { kind: 'latest' };
    case 'to-offset':
      return { kind: 'offset', offset: Number(o['to-offset']) };
    case 'shift-by':
      return { kind: 'shift', by: Number(o['shift-by']) };
    default: {
      const at = parseTime(String(o['to-datetime']));
      if (at === undefined)
        throw new UsageError(
          `--to-datetime expects an ISO time such as 2026-11-22T10:00:00Z (or an age like 2h); got ${JSON.stringify(o['to-datetime'])}`,
          'replay',
        );
      return { kind: 'datetime', at };
    }
  }
}

function topicsOf(args: ParsedArgs): Array<{ topic: string; partitions?: number[] }> | undefined {
  const list = args.options.topic as string[] | undefined;
  if (!list) return undefined;
  return list.map((t) => {
    const [topic, parts] = t.split(':') as [string, string | undefined];
    return parts ? { topic, partitions: parts.split('+').map(Number) } : { topic };
  });
}

function stepOf(plan: Plan, name: unknown, command: string): PlannedStep {
  const step = plan.steps.find((s) => s.name === name);
  if (!step) throw new UsageError(`--step must name a step: ${plan.steps.map((s) => s.name).join(', ')}`, command);
  return step;
}

function renderReplay(p: ReplayPlan, executed: boolean): string[] {
  const lines = [`replay of step ${p.step} (group ${p.group})${executed ? '' : ' — dry run'}:`];
  for (const r of p.partitions)
    lines.push(
      `  ${r.topic}/${r.partition}: ${r.committed ?? '(none)'} → ${r.target}   ${r.reprocess > 0 ? `${r.reprocess} records processed again` : r.reprocess < 0 ? `${-r.reprocess} records skipped` : 'no change'}`,
    );
  const total = p.partitions.reduce((n, r) => n + Math.max(0, r.reprocess), 0);
  lines.push(`  ${total} records in all`);
  for (const w of p.warnings) lines.push(`  warning: ${w}`);
  if (p.downstream.length) {
    lines.push('downstream, these see the records again:');
    for (const d of p.downstream) lines.push(`  ${d.idempotent ? 'idempotent    ' : 'NOT idempotent'}  ${d.target}: ${d.note}`);
  }
  if (p.activeMembers.length)
    lines.push(
      `refused: the group has active members: ${p.activeMembers.map((m) => `${m.clientId}@${m.host}`).join(', ')}; stop the step's workers first`,
    );
  else if (!executed) lines.push('add --execute to apply');
  else lines.push('applied; an audit record was written to weir.audit');
  return lines;
}

export const replayCommand: Command = {
  name: 'replay',
  summary: "reset a step's consumer-group offsets (kafka-consumer-groups --reset-offsets semantics); dry run unless --execute",
  options: [
    { name: 'step', type: 'string', short: 's', description: 'the step to replay', value: '<name>' },
    { name: 'to-earliest', type: 'boolean', description: 'to the oldest record the topic still holds' },
    { name: 'to-latest', type: 'boolean', description: 'to the end: skip everything not yet processed' },
    {
      name: 'to-datetime',
      type: 'string',
      description: 'to the first record at or after this time (ISO, or an age like 2h)',
      value: '<time>',
    },
    {
      name: 'to-offset',
      type: 'number',
      range: { integer: true, min: 0 },
      description: 'to this offset (clamped to what the log holds)',
      value: '<n>',
    },
    {
      name: 'shift-by',
      type: 'number',
      range: { integer: true },
      description: 'move by n from the committed offset (negative: back)',
      value: '<n>',
    },
    {
      name: 'topic',
      type: 'list',
      description: 'only this topic (the input or a retry tier), optionally some partitions: t:0+2',
      value: '<t[:p+p]>',
    },
    { name: 'include-retry-tiers', type: 'boolean', description: "reset the step's retry tiers too" },
    EXECUTE_OPTION,
    JSON_OPTION,
  ],
  positionals: [FILES_ARG],
  details:
    'Refused while the group has active members. For Postgres sinks the offsets stored in Postgres are reset too. Each execution is audited in weir.audit.',
  async run(args, io) {
    const plan = loadPlan(args, io);
    if (!plan) return 1;
    const step = stepOf(plan, args.options.step, 'replay');
    const topics = topicsOf(args);
    const db = step.postgres ? databaseUrl() : undefined;
    const req = {
      plan,
      step,
      spec: specOf(args),
      kafka: kafka('weir-replay'),
      includeRetryTiers: Boolean(args.options['include-retry-tiers']),
      ...(topics ? { topics } : {}),
      ...(db ? { databaseUrl: db } : {}),
    };
    const replay = await planReplay(req);
    const execute = Boolean(args.options.execute) && replay.activeMembers.length === 0;
    if (execute) await executeReplay(req, replay);
    if (args.options.json) io.out(JSON.stringify({ executed: execute, ...replay }, null, 2));
    else for (const l of renderReplay(replay, execute)) io.out(l);
    return replay.activeMembers.length && args.options.execute ? 1 : 0;
  },
};

const age = (ms: number | null) => (ms === null ? '-' : formatDuration(Math.max(1000, Math.round(ms / 1000) * 1000)));

function renderLag(lags: StepLag[]): string[] {
  const lines: string[] = [];
  for (const l of lags) {
    const total = l.input.reduce((n, p) => n + p.lag, 0);
    lines.push(`${l.step} (group ${l.group}): lag ${total}`);
    for (const p of l.input) {
      // As kafka-consumer-groups --describe: the member holding the partition, or '-' when none does.
      const member = p.consumerId ? `  consumer ${p.consumerId}  host ${p.host ?? '-'}  client ${p.clientId ?? '-'}` : '  consumer -';
      lines.push(`  ${p.topic}/${p.partition}  committed ${p.committed ?? '-'}  end ${p.end}  lag ${p.lag}${member}`);
    }
    for (const t of l.tiers) lines.push(`  retry ${t.topic}: ${t.depth} waiting${t.depth ? `, oldest ${age(t.oldestAgeMs)}` : ''}`);
    lines.push(`  dlq ${l.dlq.topic}: ${l.dlq.depth}${l.dlq.depth ? `, oldest ${age(l.dlq.oldestAgeMs)}` : ''}`);
  }
  return lines;
}

export const lagCommand: Command = {
  name: 'lag',
  summary: 'per step and partition: committed offset, end (last stable offset), lag; retry tiers and DLQ depth',
  options: [
    { name: 'step', type: 'list', short: 's', description: 'only these steps', value: '<name>' },
    { name: 'watch', type: 'boolean', description: 'refresh until interrupted' },
    {
      name: 'interval',
      type: 'number',
      // Above a day, setTimeout overflows and would refresh every millisecond instead.
      range: { above: 0, max: 86_400 },
      description: 'seconds between refreshes with --watch',
      default: 2,
      value: '<s>',
    },
    JSON_OPTION,
  ],
  positionals: [FILES_ARG],
  async run(args, io) {
    const plan = loadPlan(args, io);
    if (!plan) return 1;
    const names = args.options.step as string[] | undefined;
    const steps = names ? names.map((n) => stepOf(plan, n, 'lag')) : plan.steps;
    const db = steps.some((s) => s.postgres) ? databaseUrl() : undefined;
    const conn = kafka('weir-lag');
    for (;;) {
      const lags = await Promise.all(steps.map((s) => stepLag(s, conn, db)));
      if (args.options.json) io.out(JSON.stringify(lags, null, 2));
      else {
        if (args.options.watch && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        for (const l of renderLag(lags)) io.out(l);
      }
      if (!args.options.watch) return 0;
      await new Promise((r) => setTimeout(r, Number(args.options.interval) * 1000));
    }
  },
};
