// The example topology compiles to the checked-in plan and graphs, byte for byte, every time.
// After an intended change: UPDATE_GOLDEN=1 npx vitest run test/unit/topology/golden.test.ts
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileTopology } from '../../../src/topology/compile/index.ts';
import { topologyJsonSchema, topologyReference } from '../../../src/topology/docs.ts';
import { toDot, toMermaid } from '../../../src/topology/graph.ts';
import { planToJson } from '../../../src/topology/plan.ts';

const repo = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

function golden(file: string, actual: string): void {
  const path = repo(file);
  if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
  expect(existsSync(path), `${file} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe('the example topology', () => {
  const compile = () => compileTopology([repo('topology/orders.yaml')], { root: repo('') });

  it('compiles clean', () => {
    const result = compile();
    expect(result.diagnostics).toEqual([]);
    expect(result.plan).toBeDefined();
  });

  it('gives the checked-in plan, byte-identical on every compile', () => {
    const first = planToJson(compile().plan!);
    expect(planToJson(compile().plan!)).toBe(first);
    golden('test/golden/orders.plan.json', first);
  });

  it('gives stable graphs', () => {
    const plan = compile().plan!;
    golden('test/golden/orders.graph.mmd', toMermaid(plan));
    golden('test/golden/orders.graph.dot', toDot(plan));
  });

  it('derives a retry chain and DLQ per step with the input partition count', () => {
    const plan = compile().plan!;
    const enrich = plan.steps.find((s) => s.name === 'enrich')!;
    expect(enrich.retry.tiers.map((t) => t.topic)).toEqual([
      'orders.created.enrich.retry.5s',
      'orders.created.enrich.retry.30s',
      'orders.created.enrich.retry.5m',
    ]);
    expect(enrich.group).toBe('weir.orders.enrich');
    const notifyDlq = plan.topics.find((t) => t.name === 'orders.enriched.notify.dlq')!;
    const storeDlq = plan.topics.find((t) => t.name === 'orders.enriched.store-orders.dlq')!;
    expect([notifyDlq.partitions, storeDlq.partitions]).toEqual([6, 6]); // two steps on one topic: two chains
  });

  it('keeps environment references symbolic: the plan holds no values', () => {
    const json = planToJson(compile().plan!);
    expect(json).toContain('${NOTIFY_TOKEN:-demo}');
  });
});

describe('generated reference files', () => {
  it('docs/topology.md and docs/topology.schema.json match the declarations (npm run gen:docs)', () => {
    expect(readFileSync(repo('docs/topology.md'), 'utf8')).toBe(topologyReference());
    expect(readFileSync(repo('docs/topology.schema.json'), 'utf8')).toBe(topologyJsonSchema());
  });
});
