// `weir deploy`: make the cluster, registry and database match the plan — with --execute; without it,
// show what that would change (like replay and dlq redrive/purge).
import { applyDeploy, diffDeploy, type DeployDiff } from '../../admin/deploy.ts';
import { UsageError } from '../args.ts';
import { EXECUTE_OPTION, JSON_OPTION, type Command } from '../command.ts';
import { databaseUrl, kafka, registry } from '../connections.ts';
import { compileFiles, FILES_ARG, planOrReport } from '../topology-input.ts';

const SIGN = {
  'create-topic': '+ topic',
  'set-config': '~ config',
  'add-partitions': '+ partitions',
  'set-compatibility': '~ compatibility',
  'register-schema': '+ schema',
  'create-table': '+ table',
} as const;

function render(diff: DeployDiff, dryRun: boolean): string[] {
  const lines: string[] = [];
  for (const c of diff.changes) {
    if (c.kind === 'create-table') lines.push(`${SIGN[c.kind]} ${c.target}`, ...c.detail.split('\n').map((l) => `    ${l}`));
    else lines.push(`${SIGN[c.kind]} ${c.target}: ${c.detail}`);
  }
  for (const r of diff.refusals) lines.push(`! refused ${r.target}: ${r.reason}`);
  if (diff.changes.length === 0 && diff.refusals.length === 0) lines.push('up to date: nothing to change');
  else if (dryRun)
    lines.push(
      `${diff.changes.length} change${diff.changes.length === 1 ? '' : 's'} (dry run: nothing changed)${diff.refusals.length ? '' : '; add --execute to apply'}`,
    );
  return lines;
}

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'create or update topics (with retry tiers and DLQs), schemas, compatibility levels and sink tables; dry run unless --execute',
  options: [
    EXECUTE_OPTION,
    // The default since deploy became a dry run; kept so scripts that say it keep working.
    { name: 'dry-run', type: 'boolean', description: 'show the changes, make none (the default without --execute)' },
    {
      name: 'allow-repartition',
      type: 'boolean',
      description: 'allow adding partitions to keyed topics (breaks per-key order of records in flight)',
    },
    JSON_OPTION,
  ],
  positionals: [FILES_ARG],
  details:
    'Without --execute, deploy connects, reads what exists and prints the changes it would make; nothing is changed. Exit codes: 0 applied, up to date or planned, 1 refused (even as a dry run: --execute would fail) or failed (with the reason), 2 usage.',
  async run(args, io) {
    if (args.options.execute && args.options['dry-run']) throw new UsageError('give --execute or --dry-run, not both', 'deploy');
    // Only the variables deploy itself resolves: an HTTP sink's ${NOTIFY_URL} is `weir run`'s business.
    const compiled = compileFiles(args.positionals, 'deploy');
    const plan = compiled.plan ?? planOrReport(args.positionals, io, 'deploy');
    if (!plan) return 1;
    const db = plan.steps.some((s) => s.postgres) ? databaseUrl() : undefined;
    const deps = { kafka: kafka('weir-deploy'), registry: registry(), ...(db ? { databaseUrl: db } : {}) };
    const diff = await diffDeploy(plan, compiled.root, deps, { allowRepartition: Boolean(args.options['allow-repartition']) });
    const dryRun = !args.options.execute;
    const refused = diff.refusals.length > 0;
    const applied = !dryRun && !refused && diff.changes.length > 0;
    if (applied) await applyDeploy(plan, compiled.root, deps, diff);
    if (args.options.json) io.out(JSON.stringify({ dryRun, applied, upToDate: diff.changes.length === 0 && !refused, ...diff }, null, 2));
    else {
      for (const line of render(diff, dryRun)) io.out(line);
      if (applied) io.out(`applied ${diff.changes.length} change${diff.changes.length === 1 ? '' : 's'}`);
      if (refused) io.out('nothing was applied');
    }
    return refused ? 1 : 0;
  },
};
