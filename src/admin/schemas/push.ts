// `weir schemas push` (and part of deploy): set each subject's compatibility level and register its
// schema, idempotently: what is already there is left alone and reported as such. Subjects of
// topics the topology only sinks belong to their producers and are left alone (see plan `register`).
import { schemaFile } from '../../schema/codecs.ts';
import { explainIssue, levelProblems, type CompatibilityLevel } from '../../schema/compat.ts';
import { avroType } from '../../schema/avro.ts';
import { RegistryError } from '../../schema/errors.ts';
import type { RegistryClient } from '../../schema/registry.ts';
import type { Plan } from '../../topology/plan.ts';

export interface PushChange {
  subject: string;
  action: 'set-compatibility' | 'register' | 'rejected';
  detail: string;
}

export interface PushResult {
  subject: string;
  changes: PushChange[];
  upToDate: boolean;
  version?: number;
  id?: number;
}

async function explainRejection(registry: RegistryClient, subject: string, text: string, level: string): Promise<string> {
  const versions = await registry.versions(subject);
  const wanted = level.endsWith('_TRANSITIVE') ? versions : versions.slice(-1);
  const previous = await Promise.all(wanted.map(async (v) => avroType(JSON.parse((await registry.version(subject, v)).schema))));
  const problems = levelProblems(level as CompatibilityLevel, avroType(JSON.parse(text)), previous);
  return problems.length ? problems.map((p) => explainIssue(p.issue, p.direction)).join('; ') : 'the registry rejected it';
}

export interface PushOptions {
  dryRun?: boolean;
  /**
   * Also the subjects the plan leaves to their producers (`register: false`: topics this topology
   * only sinks). For callers that produce to those topics themselves: tests, benchmarks.
   */
  all?: boolean;
}

export async function pushSchemas(plan: Plan, root: string, registry: RegistryClient, opts: PushOptions = {}): Promise<PushResult[]> {
  const results: PushResult[] = [];
  for (const s of plan.subjects) {
    if (!s.register && !opts.all) continue;
    const changes: PushChange[] = [];
    const local = schemaFile(root, s.schema);
    const current = await registry.subjectCompatibility(s.subject);
    if (current !== s.compatibility) {
      changes.push({ subject: s.subject, action: 'set-compatibility', detail: `${current ?? '(global default)'} → ${s.compatibility}` });
      if (!opts.dryRun) await registry.setCompatibility(s.subject, s.compatibility);
    }
    const existing = await registry.lookup(s.subject, local.text);
    if (existing) {
      results.push({ subject: s.subject, changes, upToDate: changes.length === 0, version: existing.version, id: existing.id });
      continue;
    }
    if (opts.dryRun) {
      changes.push({ subject: s.subject, action: 'register', detail: `${s.schema} as a new version` });
      results.push({ subject: s.subject, changes, upToDate: false });
      continue;
    }
    try {
      const id = await registry.register(s.subject, local.text);
      const registered = await registry.lookup(s.subject, local.text);
      changes.push({ subject: s.subject, action: 'register', detail: `${s.schema} as version ${registered?.version ?? '?'} (id ${id})` });
      results.push({ subject: s.subject, changes, upToDate: false, id, ...(registered ? { version: registered.version } : {}) });
    } catch (err) {
      if (!(err instanceof RegistryError && err.status === 409)) throw err;
      changes.push({
        subject: s.subject,
        action: 'rejected',
        detail: `incompatible under ${s.compatibility}: ${await explainRejection(registry, s.subject, local.text, s.compatibility)}`,
      });
      results.push({ subject: s.subject, changes, upToDate: false });
    }
  }
  return results;
}
