// `weir schemas check`: each subject's schema in the working tree against what the registry holds,
// or against the schema files of a git ref (offline, same rules), with each break explained.
import type { Plan, PlannedSubject } from '../../topology/plan.ts';
import { Diagnostics } from '../../topology/diagnostics.ts';
import { loadFile } from '../../topology/load.ts';
import { avroType, parseAvroSchema, type AvroType } from '../../schema/avro.ts';
import { schemaFile } from '../../schema/codecs.ts';
import { levelProblems, type CompatibilityLevel } from '../../schema/compat.ts';
import type { GitSource } from '../../schema/git.ts';
import type { RegistryClient } from '../../schema/registry.ts';

export interface SubjectVerdict {
  subject: string;
  schema: string;
  level: CompatibilityLevel;
  status: 'new' | 'unchanged' | 'compatible' | 'incompatible';
  against: string;
  problems: Array<{ against: string; message: string }>;
  note?: string;
}

function verdict(
  s: PlannedSubject,
  candidate: AvroType,
  previous: Array<{ label: string; type: AvroType }>,
  against: string,
): SubjectVerdict {
  const level = s.compatibility as CompatibilityLevel;
  const problems = levelProblems(
    level,
    candidate,
    previous.map((p) => p.type),
  ).map((p) => ({ against: previous[p.against]!.label, message: p.message }));
  return {
    subject: s.subject,
    schema: s.schema,
    level,
    status: problems.length ? 'incompatible' : 'compatible',
    against,
    problems: dedupe(problems),
  };
}

function dedupe<T>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((i) => !seen.has(JSON.stringify(i)) && seen.add(JSON.stringify(i)));
}

export async function checkWithRegistry(plan: Plan, root: string, registry: RegistryClient): Promise<SubjectVerdict[]> {
  const out: SubjectVerdict[] = [];
  for (const s of plan.subjects) {
    const local = schemaFile(root, s.schema);
    const base = {
      subject: s.subject,
      schema: s.schema,
      level: s.compatibility as CompatibilityLevel,
      against: `registry ${registry.url}`,
    };
    const versions = await registry.versions(s.subject);
    if (versions.length === 0) {
      out.push({ ...base, status: 'new', problems: [] });
      continue;
    }
    const registered = await registry.lookup(s.subject, local.text);
    if (registered) {
      out.push({ ...base, status: 'unchanged', problems: [], note: `registered as version ${registered.version} (id ${registered.id})` });
      continue;
    }
    const wanted = s.compatibility.endsWith('_TRANSITIVE') ? versions : versions.slice(-1);
    const previous = await Promise.all(
      wanted.map(async (v) => ({ label: `version ${v}`, type: avroType(JSON.parse((await registry.version(s.subject, v)).schema)) })),
    );
    const v = verdict(s, local.type, previous, base.against);
    // The registry's own verdict, under the level it has now, is authoritative when the levels agree.
    const registryLevel = (await registry.subjectCompatibility(s.subject)) ?? (await registry.globalCompatibility());
    if (registryLevel === s.compatibility) {
      const ok = await registry.isCompatible(s.subject, local.text, registryLevel);
      if (!ok && v.status === 'compatible') {
        v.status = 'incompatible';
        v.problems.push({ against: 'registry', message: 'the registry rejects this schema although the offline rules accept it' });
      } else if (ok && v.status === 'incompatible') v.note = 'the registry would accept it; the offline rules are stricter';
    } else v.note = `the registry currently applies ${registryLevel}; checked under the topology's ${s.compatibility}`;
    out.push(v);
  }
  return out;
}

/** Offline: no registry, the subject's schema file(s) as of a git ref are the previous versions. */
export function checkWithGit(plan: Plan, root: string, git: GitSource): SubjectVerdict[] {
  const oldTopics = new Map<string, { key: unknown; value: unknown }>();
  for (const p of plan.pipelines) {
    const text = git.read(p.file, root);
    if (text === undefined) continue;
    const decl = loadFile(p.file, root, new Diagnostics(), text).decl;
    for (const [name, t] of Object.entries(decl?.topics ?? {})) oldTopics.set(name, t);
  }
  const against = `git:${git.ref}`;
  return plan.subjects.map((s) => {
    const local = schemaFile(root, s.schema);
    const base = { subject: s.subject, schema: s.schema, level: s.compatibility as CompatibilityLevel, against };
    const oldRef = oldTopics.get(s.topic)?.[s.part] as { format: string; schema?: string } | undefined;
    const oldPath = oldRef?.format === 'avro' ? oldRef.schema! : undefined;
    const texts = oldPath
      ? s.compatibility.endsWith('_TRANSITIVE')
        ? git.history(oldPath, root)
        : [git.read(oldPath, root)].filter((t): t is string => t !== undefined)
      : [];
    if (texts.length === 0) return { ...base, status: 'new' as const, problems: [] };
    const previous = texts.map((t, i) => ({
      label: `${oldPath}@${git.ref}${texts.length > 1 ? ` (version ${i + 1} of ${texts.length})` : ''}`,
      type: parseAvroSchema(t, oldPath!).type,
    }));
    if (parseAvroSchema(texts.at(-1)!, oldPath!).canonical === local.canonical)
      return { ...base, status: 'unchanged' as const, problems: [] };
    return verdict(s, local.type, previous, against);
  });
}
