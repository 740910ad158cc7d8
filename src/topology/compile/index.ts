// topology/*.yaml → diagnostics and, when there are no errors, the immutable Plan.
import { isDeepStrictEqual } from 'node:util';
import { Diagnostics, type Diagnostic } from '../diagnostics.ts';
import { findProjectRoot, inputFiles, loadFile } from '../load.ts';
import { PLAN_VERSION, type Plan, type PlannedStep } from '../plan.ts';
import { pathText } from '../source.ts';
import type { EnvPhase } from '../spec/core.ts';
import { checkTopicCollisions } from './collisions.ts';
import { CompileContext, type TransformRef } from './context.ts';
import { checkCycles } from './graph.ts';
import { planStep } from './steps.ts';
import { plannedSubjects, plannedTopics, subjectOwnership } from './topics.ts';

export interface CompileOptions {
  /** Project root for schema and module paths; default: nearest package.json above the first file. */
  root?: string;
  /** When given, every ${VAR} reference must be set (or have a default) in it. */
  env?: Record<string, string | undefined>;
  /**
   * With `env`: check only the references the given command resolves. `deploy` skips those only
   * `run` needs (an HTTP sink's URL and headers); `run` and the default check them all.
   */
  envFor?: EnvPhase;
  /** File contents by path, instead of reading the disk (tests). */
  texts?: Record<string, string>;
}

export interface CompileResult {
  plan: Plan | undefined;
  diagnostics: Diagnostic[];
  root: string;
  /** Transform modules that passed the static checks, for `weir validate` to import. */
  transforms: TransformRef[];
}

function collect(ctx: CompileContext): void {
  const groups = new Map<string, string>();
  for (const file of ctx.files) {
    const decl = file.decl;
    if (!decl) continue;
    for (const [name, t] of Object.entries(decl.topics)) {
      const prior = ctx.topics.get(name);
      if (prior && !isDeepStrictEqual(prior.decl, t)) {
        ctx.diag.error(
          ctx.loc({ file, path: ['topics', name] }, 'key'),
          'conflicting-topic',
          `topic \`${name}\` is also declared in ${prior.file.src.path} with different settings`,
          'declare each topic once, or identically',
        );
      } else if (!prior) ctx.topics.set(name, { name, decl: t, file });
    }
    for (const [name, s] of Object.entries(decl.steps)) {
      const prior = ctx.steps.find((e) => e.name === name);
      if (prior) {
        ctx.diag.error(
          ctx.loc({ file, path: ['steps', name] }, 'key'),
          'duplicate-step',
          `step \`${name}\` is also defined in ${prior.file.src.path}`,
          'step names are unique across topology files: they name retry topics and groups',
        );
        continue;
      }
      const group = s.group ?? `weir.${decl.pipeline}.${name}`;
      const owner = groups.get(group);
      if (owner)
        ctx.diag.error(
          ctx.loc({ file, path: ['steps', name, ...(s.group ? ['group'] : [])] }, s.group ? 'value' : 'key'),
          'duplicate-group',
          `steps \`${owner}\` and \`${name}\` share the consumer group \`${group}\``,
          'each step needs its own group, or the two would split the topic between them',
        );
      groups.set(group, name);
      ctx.steps.push({ name, pipeline: decl.pipeline, decl: s, file });
    }
  }
}

function checkEnv(ctx: CompileContext): Plan['env'] {
  const used: Plan['env'] = [];
  for (const file of ctx.files) {
    for (const ref of file.envRefs) {
      used.push({ name: ref.name, usedBy: `${file.relPath}:${pathText(ref.path)}` });
      const needed = ctx.envFor !== 'deploy' || ref.neededBy === 'deploy';
      if (ctx.env && needed && !ref.hasFallback && !ctx.env[ref.name]) {
        ctx.diag.error(
          ref.loc,
          'missing-env',
          `environment variable ${ref.name} is not set`,
          `set ${ref.name}, or write \${${ref.name}:-default}`,
        );
      }
    }
  }
  return used.sort((a, b) => a.name.localeCompare(b.name) || a.usedBy.localeCompare(b.usedBy));
}

export function compileTopology(files: string[], opts: CompileOptions = {}): CompileResult {
  const diag = new Diagnostics();
  const root = opts.root ?? (files[0] ? findProjectRoot(files[0]) : process.cwd());
  if (files.length === 0) {
    diag.error({ file: 'topology/', line: 1, column: 1 }, 'no-files', 'no topology files given and none found in topology/*.yaml');
    return { plan: undefined, diagnostics: diag.sorted(), root, transforms: [] };
  }
  const unique = inputFiles(files, diag, opts.texts);
  if (!unique) return { plan: undefined, diagnostics: diag.sorted(), root, transforms: [] };
  const loaded = unique.map((f) => loadFile(f, root, diag, opts.texts?.[f]));
  const ctx = new CompileContext(root, diag, loaded, opts.env, opts.envFor);
  collect(ctx);
  // Topic schemas first: the step checks read them.
  const subjects = plannedSubjects(ctx);
  const steps = ctx.steps.map((e) => planStep(ctx, e)).filter((s): s is PlannedStep => s !== undefined);
  checkCycles(ctx, steps);
  const topics = plannedTopics(ctx, steps);
  checkTopicCollisions(ctx, topics);
  const env = checkEnv(ctx);
  if (diag.errors.length > 0) return { plan: undefined, diagnostics: diag.sorted(), root, transforms: ctx.transforms };
  const plan: Plan = {
    version: PLAN_VERSION,
    pipelines: loaded
      .map((f) => ({ name: f.decl!.pipeline, description: f.decl!.description ?? null, file: f.relPath }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file)),
    topics,
    subjects: subjectOwnership(ctx, subjects, steps),
    steps: steps.sort((a, b) => a.pipeline.localeCompare(b.pipeline) || a.name.localeCompare(b.name)),
    env,
  };
  return { plan: deepFreeze(plan), diagnostics: diag.sorted(), root, transforms: ctx.transforms };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
