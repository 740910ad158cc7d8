// `weir schemas check | push`: the pull-request gate and registration.
import { checkWithGit, checkWithRegistry, type SubjectVerdict } from '../../admin/schemas/check.ts';
import { pushSchemas } from '../../admin/schemas/push.ts';
import { registry } from '../connections.ts';
import { GitSource } from '../../schema/git.ts';
import { splitMeaningChanges } from '../../schema/meaning.ts';
import { UsageError } from '../args.ts';
import { JSON_OPTION, type Command } from '../command.ts';
import { compileFiles, FILES_ARG, planOrReport } from '../topology-input.ts';

type CheckedSubject = SubjectVerdict & { accepted?: SubjectVerdict['problems'] };

const ACCEPT_MEANING_CHANGE = 'accept-meaning-change';

/** A deliberate change of meaning, named by the team: still listed, no longer a break. */
function acceptMeaningChanges(v: SubjectVerdict): CheckedSubject {
  const { meaning, others } = splitMeaningChanges(v.problems);
  if (meaning.length === 0) return v;
  const note = [v.note, `meaning changes accepted by --${ACCEPT_MEANING_CHANGE}`].filter(Boolean).join('; ');
  return { ...v, status: others.length ? v.status : 'compatible', problems: others, accepted: meaning, note };
}

function verdictLines(v: CheckedSubject): string[] {
  const mark = { new: 'new', unchanged: 'unchanged', compatible: 'ok', incompatible: 'BREAKS' }[v.status];
  const lines = [`${mark.padEnd(10)} ${v.subject}  ${v.schema}  (${v.level}, against ${v.against})${v.note ? ` — ${v.note}` : ''}`];
  for (const p of v.problems) lines.push(`           ${p.message}  [vs ${p.against}]`);
  for (const p of v.accepted ?? []) lines.push(`           accepted: ${p.message}  [vs ${p.against}]`);
  return lines;
}

export const schemasCheckCommand: Command = {
  name: 'schemas check',
  summary: 'check schema changes for compatibility: against the registry, or offline against a git ref',
  options: [
    {
      name: 'against',
      type: 'string',
      description: '`registry`, or `git:<ref>` (e.g. git:origin/main) to check offline',
      value: '<where>',
      default: 'registry',
    },
    {
      name: ACCEPT_MEANING_CHANGE,
      type: 'list',
      description: 'subjects whose logical-type changes (meaning changes) are deliberate: listed, not breaking',
      value: '<subject>',
    },
    JSON_OPTION,
  ],
  positionals: [FILES_ARG],
  details:
    "Exit 1 when any subject breaks its compatibility level or changes a logical type (a value's meaning). Each break is explained in words.",
  async run(args, io) {
    const against = String(args.options.against);
    if (against !== 'registry' && !against.startsWith('git:'))
      throw new UsageError(`--against must be registry or git:<ref>; got ${JSON.stringify(against)}`, 'schemas check');
    const compiled = compileFiles(args.positionals);
    const plan = compiled.plan ?? planOrReport(args.positionals, io);
    if (!plan) return 1;
    const accepting = new Set((args.options[ACCEPT_MEANING_CHANGE] as string[] | undefined) ?? []);
    const unknown = [...accepting].filter((name) => !plan.subjects.some((s) => s.subject === name));
    if (unknown.length)
      throw new UsageError(
        `--${ACCEPT_MEANING_CHANGE} names no subject ${unknown.join(', ')}; subjects: ${plan.subjects.map((s) => s.subject).join(', ')}`,
        'schemas check',
      );
    const checked =
      against === 'registry'
        ? await checkWithRegistry(plan, compiled.root, registry())
        : checkWithGit(plan, compiled.root, new GitSource(process.cwd(), against.slice(4)));
    const verdicts = checked.map((v) => (accepting.has(v.subject) ? acceptMeaningChanges(v) : v));
    const breaks = verdicts.filter((v) => v.status === 'incompatible').length;
    if (args.options.json) io.out(JSON.stringify({ compatible: breaks === 0, subjects: verdicts }, null, 2));
    else {
      for (const v of verdicts) io.out(verdictLines(v).join('\n'));
      io.out(breaks ? `${breaks} subject${breaks === 1 ? '' : 's'} break compatibility` : `all ${verdicts.length} subjects compatible`);
      if (verdicts.some((v) => splitMeaningChanges(v.problems).meaning.length))
        io.out(`a deliberate change of meaning? accept it for its subject with --${ACCEPT_MEANING_CHANGE} <subject>`);
    }
    return breaks ? 1 : 0;
  },
};

export const schemasPushCommand: Command = {
  name: 'schemas push',
  summary: 'register schemas and set compatibility levels in the registry (idempotent)',
  options: [{ name: 'dry-run', type: 'boolean', description: 'show what would change, change nothing' }, JSON_OPTION],
  positionals: [FILES_ARG],
  async run(args, io) {
    const compiled = compileFiles(args.positionals);
    const plan = compiled.plan ?? planOrReport(args.positionals, io);
    if (!plan) return 1;
    const results = await pushSchemas(plan, compiled.root, registry(), { dryRun: Boolean(args.options['dry-run']) });
    const rejected = results.some((r) => r.changes.some((c) => c.action === 'rejected'));
    if (args.options.json) io.out(JSON.stringify({ upToDate: results.every((r) => r.upToDate), subjects: results }, null, 2));
    else if (results.every((r) => r.upToDate))
      io.out(`up to date: ${results.length} subjects already registered with their compatibility levels; nothing changed`);
    else {
      for (const r of results) {
        if (r.upToDate) io.out(`unchanged  ${r.subject}  (version ${r.version}, id ${r.id})`);
        for (const c of r.changes)
          io.out(`${(args.options['dry-run'] ? `would ${c.action}` : c.action).padEnd(18)} ${c.subject}  ${c.detail}`);
      }
    }
    return rejected ? 1 : 0;
  },
};
