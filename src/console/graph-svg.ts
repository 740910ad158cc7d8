// The pipeline as an SVG picture, from the same nodes and edges as `weir graph`: topics, steps and
// sinks in columns by their distance from the first topic (the data flows left to right); each
// step's retry chain and DLQ below it. Drawn on the server: no layout library, no script.
import type { Plan } from '../topology/plan.ts';
import { pipelineGraph } from '../topology/graph.ts';

type Graph = ReturnType<typeof pipelineGraph>;
type GraphNode = Graph['nodes'][number];

const W = 190;
const H = 46;
const GAP_X = 70;
const GAP_Y = 26;
const FILL: Record<GraphNode['shape'], string> = {
  topic: '#e8f0fe',
  step: '#fff4d6',
  sink: '#e6f4ea',
  retry: '#f3e8fd',
  dlq: '#fce8e6',
};

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Column of each node: the longest path to it along the data's edges (retry edges left out). */
function columns(g: Graph): Map<string, number> {
  const col = new Map<string, number>(g.nodes.map((n) => [n.id, 0]));
  const flow = g.edges.filter((e) => !e.dashed);
  for (let round = 0; round < g.nodes.length; round++) {
    let moved = false;
    for (const e of flow) {
      const next = col.get(e.from)! + 1;
      if (next > col.get(e.to)!) {
        col.set(e.to, next);
        moved = true;
      }
    }
    if (!moved) break;
  }
  // A step's retry chain and DLQ sit in the step's column.
  for (const e of g.edges) if (e.dashed && e.label === 'fails') col.set(e.to, col.get(e.from)!);
  for (const e of g.edges) if (e.dashed && e.label === 'gives up') col.set(e.to, col.get(e.from)!);
  return col;
}

export function graphSvg(plan: Plan): string {
  const g = pipelineGraph(plan);
  const col = columns(g);
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  // Each step with its retry chain and DLQ right below it, so that its dashed edges stay short.
  const after = (from: string, label: string) => g.edges.find((e) => e.from === from && e.label === label)?.to;
  const ordered: GraphNode[] = [];
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  for (const n of g.nodes) {
    if (n.shape === 'retry' || n.shape === 'dlq') continue;
    ordered.push(n);
    const chain = after(n.id, 'fails');
    const dlq = chain && after(chain, 'gives up');
    for (const x of [chain, dlq]) if (x) ordered.push(byId.get(x)!);
  }
  for (const n of ordered) {
    const c = col.get(n.id)!;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    at.set(n.id, { x: 10 + c * (W + GAP_X), y: 10 + r * (H + GAP_Y) });
  }
  // A sink sits level with the step that writes it.
  for (const n of g.nodes) {
    const from = n.shape === 'sink' ? g.edges.find((e) => e.to === n.id)?.from : undefined;
    if (from) at.set(n.id, { x: at.get(n.id)!.x, y: at.get(from)!.y });
  }
  const width = 20 + (Math.max(...col.values()) + 1) * (W + GAP_X);
  const height = 20 + Math.max(...rows.values()) * (H + GAP_Y);
  const parts: string[] = [];
  for (const e of g.edges) {
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) continue;
    const [x1, y1, x2, y2] = a.x === b.x ? [a.x + W / 2, a.y + H, b.x + W / 2, b.y] : [a.x + W, a.y + H / 2, b.x, b.y + H / 2];
    if (a.y > b.y && a.x === b.x) continue; // "when due" goes back up beside "fails": one line shows both
    parts.push(
      `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#5f6368" marker-end="url(#arrow)"${e.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
    );
  }
  for (const n of g.nodes) {
    const p = at.get(n.id)!;
    const lines = n.label.split('\n');
    const text = lines
      .map((l, i) => `<tspan x="${p.x + W / 2}" dy="${i === 0 ? 0 : 15}">${escape(l.length > 28 ? `${l.slice(0, 27)}…` : l)}</tspan>`)
      .join('');
    const round = n.shape === 'topic' || n.shape === 'dlq' ? 18 : 4;
    parts.push(
      `<g class="node ${n.shape}" data-node="${escape(n.label.split('\n')[0]!)}"><title>${escape(n.label)}</title>` +
        `<rect x="${p.x}" y="${p.y}" width="${W}" height="${H}" rx="${round}" fill="${FILL[n.shape]}" stroke="#80868b"/>` +
        `<text x="${p.x + W / 2}" y="${p.y + (lines.length > 1 ? 19 : 27)}" text-anchor="middle" font-size="12">${text}</text></g>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="pipeline ${escape(plan.pipelines.map((p) => p.name).join(', '))}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#5f6368"/></marker></defs>` +
    parts.join('') +
    '</svg>'
  );
}
