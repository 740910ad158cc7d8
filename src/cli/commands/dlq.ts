// `weir dlq list | stats | show | redrive | purge`: triage and recovery of failed records.
import { createInterface } from 'node:readline/promises';
import { purge, redrive, type RedriveTarget } from '../../admin/dlq/actions.ts';
import { dlqStats, matches, readDlq, type DlqFilter } from '../../admin/dlq/entries.ts';
import { kafka as kafkaConnection, registry } from '../connections.ts';
import { dlqDecoder } from '../../admin/dlq/decode.ts';
import type { Plan, PlannedStep } from '../../topology/plan.ts';
import { formatDuration } from '../../topology/spec/index.ts';
import { UsageError, type OptionSpec, type ParsedArgs } from '../args.ts';
import { EXECUTE_OPTION, JSON_OPTION, type Command, type Io } from '../command.ts';
import { parseTime, progress } from '../progress.ts';
import { compileFiles, FILES_ARG, planOrReport } from '../topology-input.ts';

const STEP: OptionSpec = { name: 'step', type: 'string', short: 's', description: 'the step whose DLQ to use', value: '<name>' };
const FILTERS: OptionSpec[] = [
  { name: 'key', type: 'string', description: 'only records with this key', value: '<key>' },
  {
    name: 'since',
    type: 'string',
    description: 'only records that entered the DLQ at/after this time (ISO time, or an age like 2h)',
    value: '<time>',
  },
  { name: 'until', type: 'string', description: 'only records that entered the DLQ at/before this time', value: '<time>' },
  { name: 'error-class', type: 'string', description: 'only records that failed with this error class', value: '<class>' },
  { name: 'message', type: 'string', description: 'only records whose error message contains this text', value: '<text>' },
];

const kafka = () => kafkaConnection('weir-dlq');

function loadPlan(args: ParsedArgs, io: Io): Plan | undefined {
  return compileFiles(args.positionals).plan ?? planOrReport(args.positionals, io);
}

function stepOf(plan: Plan, args: ParsedArgs, command: string): PlannedStep {
  const name = args.options.step as string | undefined;
  if (!name) throw new UsageError(`--step is required; steps: ${plan.steps.map((s) => s.name).join(', ')}`, command);
  const step = plan.steps.find((s) => s.name === name);
  if (!step) throw new UsageError(`no step named ${name}; steps: ${plan.steps.map((s) => s.name).join(', ')}`, command);
  return step;
}

function filterOf(args: ParsedArgs, command: string): DlqFilter {
  const time = (name: 'since' | 'until') => {
    const raw = args.options[name] as string | undefined;
    if (raw === undefined) return undefined;
    const t = parseTime(raw);
    if (t === undefined) throw new UsageError(`--${name} expects an ISO time or an age like 2h; got ${JSON.stringify(raw)}`, command);
    return t;
  };
  const f: DlqFilter = {};
  const since = time('since');
  const until = time('until');
  if (args.options.key !== undefined) f.key = String(args.options.key);
  if (since !== undefined) f.since = since;
  if (until !== undefined) f.until = until;
  if (args.options['error-class'] !== undefined) f.errorClass = String(args.options['error-class']);
  if (args.options.message !== undefined) f.message = String(args.options.message);
  return f;
}

const age = (ms: number | null) => (ms === null ? '-' : formatDuration(Math.max(1000, Math.round(ms / 1000) * 1000)));

export const dlqListCommand: Command = {
  name: 'dlq list',
  summary: "every step's DLQ: records waiting, oldest age, most common error",
  options: [JSON_OPTION],
  positionals: [FILES_ARG],
  async run(args, io) {
    const plan = loadPlan(args, io);
    if (!plan) return 1;
    const stats = [];
    for (const step of plan.steps) stats.push(dlqStats(step, await readDlq(kafka(), step)));
    if (args.options.json) io.out(JSON.stringify(stats, null, 2));
    else
      for (const s of stats)
        io.out(
          `${s.step.padEnd(20)} ${s.topic.padEnd(40)} waiting ${String(s.depth).padStart(6)}  oldest ${age(s.oldestAgeMs).padStart(6)}  ${s.byError[0] ? `top: ${s.byError[0].errorClass} ×${s.byError[0].count}` : ''}`,
        );
    return 0;
  },
};

export const dlqStatsCommand: Command = {
  name: 'dlq stats',
  summary: "one step's DLQ: depth, oldest age, counts by error class and message",
  options: [STEP, JSON_OPTION],
  positionals: [FILES_ARG],
  async run(args, io) {
    const plan = loadPlan(args, io);
    if (!plan) return 1;
    const step = stepOf(plan, args, 'dlq stats');
    const s = dlqStats(step, await readDlq(kafka(), step));
    if (args.options.json) io.out(JSON.stringify(s, null, 2));
    else {
      io.out(`${s.topic}: ${s.depth} waiting (oldest ${age(s.oldestAgeMs)} old), ${s.handled} already redriven or purged`);
      for (const g of s.byError) io.out(`  ${String(g.count).padStart(6)}  ${g.errorClass}: ${g.message}`);
    }
    return 0;
  },
};

export const dlqShowCommand: Command = {
  name: 'dlq show',
  summary: 'DLQ records with their failure headers; values decoded with their schema when possible',
  options: [
    STEP,
    ...FILTERS,
    { name: 'all', type: 'boolean', description: 'include records already redriven or purged' },
    { name: 'limit', type: 'number', range: { integer: true, min: 1 }, description: 'most records to show', default: 20, value: '<n>' },
    JSON_OPTION,
  ],
  positionals: [FILES_ARG],
  async run(args, io) {
    const plan = loadPlan(args, io);
    if (!plan) return 1;
    const step = stepOf(plan, args, 'dlq show');
    const filter = filterOf(args, 'dlq show');
    const entries = (await readDlq(kafka(), step)).filter((e) => (args.options.all || !e.handled) && matches(e, filter));
    const shown = entries.slice(0, Number(args.options.limit));
    const decode = await dlqDecoder(plan, step, shown, registry());
    const rows = shown.map((e) => ({
      partition: e.record.partition,
      offset: e.record.offset,
      key: e.record.key?.toString('utf8') ?? null,
      enteredDlq: new Date(e.record.timestamp).toISOString(),
      origin: e.envelope.origin,
      attempt: e.envelope.attempt,
      redrives: e.envelope.redriveCount,
      errorClass: e.errorClass,
      errorMessage: e.errorMessage,
      ...(e.handled ? { handled: e.handled } : {}),
      value: decode(e),
    }));
    if (args.options.json) io.out(JSON.stringify({ total: entries.length, shown: rows.length, records: rows }, null, 2));
    else {
      for (const r of rows)
        io.out(
          `${r.partition}@${r.offset}  key=${r.key}  ${r.errorClass}: ${r.errorMessage}  (attempt ${r.attempt}, origin ${r.origin.topic}/${r.origin.partition}@${r.origin.offset}${r.handled ? `, ${r.handled.action}` : ''})\n    ${JSON.stringify(r.value)}`,
        );
      io.out(`${rows.length} of ${entries.length} matching records`);
    }
    return 0;
  },
};

function targetOf(args: ParsedArgs): RedriveTarget {
  const to = String(args.options.to);
  if (to === 'retry') return { kind: 'tier', index: 0 };
  if (to === 'input') return { kind: 'input' };
  const m = /^tier:(\d+)$/.exec(to);
  if (m) return { kind: 'tier', index: Number(m[1]) };
  throw new UsageError(`--to must be retry, input or tier:<n>; got ${JSON.stringify(to)}`, 'dlq redrive');
}

export const dlqRedriveCommand: Command = {
  name: 'dlq redrive',
  summary: 'send DLQ records back through the step (dry run unless --execute): transactional, in batches, audited',
  options: [
    STEP,
    ...FILTERS,
    {
      name: 'to',
      type: 'string',
      description:
        "`retry` (the step's first retry tier, processed at once), `tier:<n>`, or `input` (the input topic: every step reading it sees the records again)",
      default: 'retry',
      value: '<target>',
    },
    { name: 'batch', type: 'number', range: { integer: true, min: 1 }, description: 'records per transaction', default: 500, value: '<n>' },
    { name: 'rate', type: 'number', range: { above: 0 }, description: 'at most this many records per second', value: '<n>' },
    {
      name: 'max-redrives',
      type: 'number',
      // 0 would hold back every record: nothing could ever be redriven.
      range: { integer: true, min: 1 },
      description: 'loop guard: records redriven this many times already stay in the DLQ',
      default: 3,
      value: '<n>',
    },
    EXECUTE_OPTION,
    JSON_OPTION,
  ],
  positionals: [FILES_ARG],
  details:
    'A redriven record gets its retries again; if it fails again it returns to the DLQ with its history and a redrive count. Rerunning after an interruption redrives only what is left.',
  async run(args, io) {
    const plan = loadPlan(args, io);
    if (!plan) return 1;
    const step = stepOf(plan, args, 'dlq redrive');
    const target = targetOf(args);
    const dryRun = !args.options.execute;
    const result = await redrive({
      kafka: kafka(),
      step,
      filter: filterOf(args, 'dlq redrive'),
      target,
      dryRun,
      batchSize: Number(args.options.batch),
      maxRedrives: Number(args.options['max-redrives']),
      ...(args.options.rate ? { rate: Number(args.options.rate) } : {}),
      ...(args.options.json
        ? {}
        : { onProgress: progress(`redriving ${step.retry.dlq} → ${target.kind === 'input' ? step.input : `tier ${target.index}`}`) }),
    });
    const sharedInput =
      target.kind === 'input' ? plan.steps.filter((s) => s.input === step.input && s.name !== step.name).map((s) => s.name) : [];
    if (args.options.json) io.out(JSON.stringify({ ...result, alsoReadBy: sharedInput }, null, 2));
    else {
      io.out(
        `${dryRun ? 'dry run: would redrive' : 'redrove'} ${dryRun ? result.selected - result.skipped : result.done} of ${result.selected} matching records to ${result.target}${result.skipped ? `; ${result.skipped} held back by the loop guard (redriven ${Number(args.options['max-redrives'])} times already)` : ''}`,
      );
      if (sharedInput.length) io.out(`note: steps ${sharedInput.join(', ')} also read ${step.input} and will process these records again`);
      if (dryRun) io.out('add --execute to apply');
    }
    return 0;
  },
};

async function confirm(io: Io, question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
    void io;
  }
}

export const dlqPurgeCommand: Command = {
  name: 'dlq purge',
  summary: 'mark DLQ records as dealt with (dry run unless --execute; asks to confirm unless --yes)',
  options: [
    STEP,
    ...FILTERS,
    EXECUTE_OPTION,
    { name: 'yes', type: 'boolean', description: 'do not ask for confirmation (needed without a terminal)' },
    JSON_OPTION,
  ],
  positionals: [FILES_ARG],
  details: 'Purged records stay in the topic until retention removes them, but no longer count, show or redrive.',
  async run(args, io) {
    const plan = loadPlan(args, io);
    if (!plan) return 1;
    const step = stepOf(plan, args, 'dlq purge');
    const filter = filterOf(args, 'dlq purge');
    const preview = await purge({ kafka: kafka(), step, filter, dryRun: true });
    if (!args.options.execute || preview.selected === 0) {
      io.out(
        args.options.json
          ? JSON.stringify(preview, null, 2)
          : `dry run: would purge ${preview.selected} records from ${step.retry.dlq}${preview.selected ? '; add --execute to apply' : ''}`,
      );
      return 0;
    }
    if (!args.options.yes && !(await confirm(io, `Purge ${preview.selected} records from ${step.retry.dlq}?`))) {
      io.err('not confirmed; nothing purged (use --yes when running without a terminal)');
      return 1;
    }
    const result = await purge({ kafka: kafka(), step, filter, dryRun: false });
    io.out(args.options.json ? JSON.stringify(result, null, 2) : `purged ${result.done} records from ${step.retry.dlq}`);
    return 0;
  },
};
