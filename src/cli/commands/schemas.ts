// `weir schemas check | push`: the pull-request gate and registration.
import { checkWithGit, checkWithRegistry, type SubjectVerdict } from '../../admin/schemas/check.ts';
import { pushSchemas } from '../../admin/schemas/push.ts';
import { registry } from '../connections.ts';
import { GitSource } from '../../schema/git.ts';
import { UsageError } from '../args.ts';
import { JSON_OPTION, type Command } from '../command.ts';
import { compileFiles, FILES_ARG, planOrReport } from '../topology-input.ts';

function verdictLines(v: SubjectVerdict): string[] {
  const mark = { new: 'new', unchanged: 'unchanged', compatible: 'ok', incompatible: 'BREAKS' }[v.status];
  const lines = [`${mark.padEnd(10)} ${v.subject}  ${v.schema}  (${v.level}, against ${v.against})${v.note ? ` — ${v.note}` : ''}`];
  for (const p of v.problems) lines.push(`           ${p.message}  [vs ${p.against}]`);
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
    JSON_OPTION,
  ],
  positionals: [FILES_ARG],
  details: 'Exit 1 when any subject breaks its compatibility level. Each break is explained in words.',
  async run(args, io) {
    const against = String(args.options.against);
    if (against !== 'registry' && !against.startsWith('git:'))
      throw new UsageError(`--against must be registry or git:<ref>; got ${JSON.stringify(against)}`, 'schemas check');
    const compiled = compileFiles(args.positionals);
    const plan = compiled.plan ?? planOrReport(args.positionals, io);
    if (!plan) return 1;
    const verdicts =
      against === 'registry'
        ? await checkWithRegistry(plan, compiled.root, registry())
        : checkWithGit(plan, compiled.root, new GitSource(process.cwd(), against.slice(4)));
    const breaks = verdicts.filter((v) => v.status === 'incompatible').length;
    if (args.options.json) io.out(JSON.stringify({ compatible: breaks === 0, subjects: verdicts }, null, 2));
    else {
      for (const v of verdicts) io.out(verdictLines(v).join('\n'));
      io.out(breaks ? `${breaks} subject${breaks === 1 ? '' : 's'} break compatibility` : `all ${verdicts.length} subjects compatible`);
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
