// Topic names that Kafka cannot tell apart. Its metric names replace '.' with '_', so `a.b` and
// `a_b` would share metrics; the broker refuses to create a topic whose name collides that way with
// an existing one, so `weir deploy` would fail half-way. Derived topics (retry tiers, DLQs, the
// audit topic) count too: their names come from the declared ones.
import type { Loc } from '../diagnostics.ts';
import type { PlannedTopic } from '../plan.ts';
import type { CompileContext } from './context.ts';

const metricName = (topic: string) => topic.replace(/\./g, '_');

function describe(t: PlannedTopic): string {
  if (t.role === 'declared') return `topic \`${t.name}\``;
  if (t.role === 'audit') return `weir's audit topic \`${t.name}\``;
  return `\`${t.name}\` (${t.role} topic of step \`${t.step}\`)`;
}

function locOf(ctx: CompileContext, t: PlannedTopic): Loc | undefined {
  if (t.role === 'declared') {
    const entry = ctx.topics.get(t.name);
    return entry && ctx.loc({ file: entry.file, path: ['topics', t.name] }, 'key');
  }
  const step = ctx.steps.find((s) => s.name === t.step);
  return step && ctx.loc({ file: step.file, path: ['steps', step.name] }, 'key');
}

export function checkTopicCollisions(ctx: CompileContext, topics: PlannedTopic[]): void {
  const stepIndex = new Map(ctx.steps.map((s, i) => [s.name, i]));
  const declaredIndex = new Map([...ctx.topics.keys()].map((name, i) => [name, i]));
  // The one written first keeps its name; the later ones are reported: the audit topic (it exists
  // on every cluster weir deployed to), declared topics in file order, then those steps derive.
  const rank = (t: PlannedTopic) =>
    t.role === 'audit' ? -1 : t.role === 'declared' ? declaredIndex.get(t.name)! : 1e6 + stepIndex.get(t.step!)!;
  const first = new Map<string, PlannedTopic>();
  for (const t of [...topics].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name))) {
    const prior = first.get(metricName(t.name));
    if (!prior) {
      first.set(metricName(t.name), t);
      continue;
    }
    const at = locOf(ctx, t);
    const priorAt = locOf(ctx, prior);
    if (!at) continue;
    ctx.diag.error(
      at,
      'topic-collision',
      `${describe(t)} collides with ${describe(prior)}${priorAt ? ` (${priorAt.file}:${priorAt.line}:${priorAt.column})` : ''}: ` +
        "Kafka's metric names turn '.' into '_', so it cannot tell them apart",
      "the broker refuses to create a topic whose name differs from an existing one only in '.' versus '_'; rename one, and use one separator consistently",
    );
  }
}
