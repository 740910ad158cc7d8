// A picture of the pipeline: topics, steps, retry chains, DLQs and sinks, as Mermaid or Graphviz.
import { formatDuration } from './spec/index.ts';
import type { Plan, PlannedStep } from './plan.ts';

type Shape = 'topic' | 'step' | 'retry' | 'dlq' | 'sink';
interface GraphNode {
  id: string;
  label: string;
  shape: Shape;
}
interface GraphEdge {
  from: string;
  to: string;
  label?: string;
  dashed?: boolean;
}

const id = (kind: string, name: string) => `${kind}_${name.replace(/[^A-Za-z0-9]/g, '_')}`;

function sinkLabel(step: PlannedStep): string {
  if (step.postgres) return `postgres ${step.postgres.table}`;
  if (step.http) return `${step.http.method} ${step.http.url}`;
  return step.name;
}

export function pipelineGraph(plan: Plan): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const add = (n: GraphNode) => nodes.set(n.id, n);
  for (const t of plan.topics) if (t.role === 'declared') add({ id: id('t', t.name), label: t.name, shape: 'topic' });
  for (const step of plan.steps) {
    const s = id('s', step.name);
    add({ id: s, label: `${step.name}\n${step.kind}`, shape: 'step' });
    edges.push({ from: id('t', step.input), to: s });
    for (const out of step.outputs) edges.push({ from: s, to: id('t', out) });
    if (step.postgres || step.http) {
      add({ id: id('x', step.name), label: sinkLabel(step), shape: 'sink' });
      edges.push({ from: s, to: id('x', step.name) });
    }
    const chain = id('r', step.name);
    add({ id: chain, label: `retry ${step.retry.tiers.map((t) => formatDuration(t.delayMs)).join(' → ')}`, shape: 'retry' });
    add({ id: id('d', step.name), label: step.retry.dlq, shape: 'dlq' });
    edges.push({ from: s, to: chain, label: 'fails', dashed: true });
    edges.push({ from: chain, to: s, label: 'when due', dashed: true });
    edges.push({ from: chain, to: id('d', step.name), label: 'gives up', dashed: true });
  }
  return { nodes: [...nodes.values()], edges };
}

const esc = (s: string) => s.replace(/"/g, '#quot;');

export function toMermaid(plan: Plan): string {
  const { nodes, edges } = pipelineGraph(plan);
  const shape = (n: GraphNode) => {
    const label = `"${esc(n.label).replace(/\n/g, '<br/>')}"`;
    return { topic: `[(${label})]`, step: `[${label}]`, retry: `([${label}])`, dlq: `[(${label})]`, sink: `[[${label}]]` }[n.shape];
  };
  const lines = ['flowchart LR'];
  for (const n of nodes) lines.push(`  ${n.id}${shape(n)}`);
  for (const e of edges)
    lines.push(`  ${e.from} ${e.dashed ? `-.${e.label ? ` ${e.label} ` : ''}.->` : e.label ? `-- ${e.label} -->` : '-->'} ${e.to}`);
  lines.push('  classDef dlq fill:#fdd,stroke:#c33', '  classDef retry fill:#ffe,stroke:#aa3');
  const of = (shape: Shape) => nodes.filter((n) => n.shape === shape).map((n) => n.id);
  if (of('dlq').length) lines.push(`  class ${of('dlq').join(',')} dlq`);
  if (of('retry').length) lines.push(`  class ${of('retry').join(',')} retry`);
  return lines.join('\n') + '\n';
}

export function toDot(plan: Plan): string {
  const { nodes, edges } = pipelineGraph(plan);
  const attrs: Record<Shape, string> = {
    topic: 'shape=cylinder',
    step: 'shape=box, style=rounded',
    retry: 'shape=box, style="rounded,dashed", color="#aa9900"',
    dlq: 'shape=cylinder, color="#cc3333"',
    sink: 'shape=box3d',
  };
  const lines = ['digraph weir {', '  rankdir=LR;', '  node [fontname="Helvetica"];'];
  for (const n of nodes) lines.push(`  ${n.id} [label=${JSON.stringify(n.label)}, ${attrs[n.shape]}];`);
  for (const e of edges) {
    const a = [e.label ? `label=${JSON.stringify(e.label)}` : '', e.dashed ? 'style=dashed' : ''].filter(Boolean).join(', ');
    lines.push(`  ${e.from} -> ${e.to}${a ? ` [${a}]` : ''};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** A terminal picture: one line per step, its input, what it does, where it writes, its chain. */
export function toText(plan: Plan): string {
  const lines: string[] = [];
  for (const step of plan.steps) {
    const target = step.outputs.length
      ? step.outputs.join(', ')
      : step.postgres
        ? `postgres table ${step.postgres.table}`
        : step.http
          ? `${step.http.method} ${step.http.url}`
          : '—';
    const limit = step.rateLimit ? ` (≤ ${step.rateLimit.perSecond}/s)` : '';
    lines.push(`  ${step.input} ──▶ [${step.name}: ${step.kind}] ──▶ ${target}${limit}`);
    lines.push(
      `  ${' '.repeat(step.input.length)}       ╰─ fails: retry ${step.retry.tiers.map((t) => formatDuration(t.delayMs)).join(' → ')} → ${step.retry.dlq}${step.retry.preserveKeyOrder ? ' (key order kept)' : ''}`,
    );
  }
  return lines.join('\n') + '\n';
}
