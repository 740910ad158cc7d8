// The Grafana dashboard only queries metrics that weir exports (a renamed metric breaks this test).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registry } from '../../../src/observability/metrics.ts';

describe('docs/grafana/weir.json', () => {
  it('queries only metrics the registry defines', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../../docs/grafana/weir.json', import.meta.url), 'utf8')) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    const used = new Set<string>();
    for (const p of dashboard.panels)
      for (const t of p.targets ?? [])
        for (const m of t.expr.matchAll(/\b((?:weir|process)_[a-z_]+)/g)) used.add(m[1]!.replace(/_bucket$/, ''));
    const defined = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    expect([...used].filter((m) => !defined.has(m))).toEqual([]);
    expect(used.size).toBeGreaterThan(15);
  });
});
