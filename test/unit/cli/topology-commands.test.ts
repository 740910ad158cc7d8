// weir validate | plan | graph | schema-json on the example and on broken input.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('topology commands', () => {
  it('validate is silent on the valid example', async () => {
    expect(await run('validate', 'topology/orders.yaml')).toEqual({ code: 0, out: '', err: '' });
  });

  it('validate lists every problem with file:line:column and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-validate-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'pipeline: shop\ntopics:\n  orders:\n    partitions: 0\n    value: string\n    retension: 7d\n');
    const r = await run('validate', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:4:17: error[invalid-value] 0 is out of range`);
    expect(r.err).toContain(`${file}:6:5: error[unknown-key] unknown key \`retension\` in topic — did you mean \`retention\`?`);
    expect(r.err).toMatch(/2 errors$/);
  });

  it('validate --json reports diagnostics for tools', async () => {
    const r = await run('validate', '--json', 'no/such/file.yaml');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ valid: false, diagnostics: [{ code: 'no-files', file: 'no/such/file.yaml' }] });
  });

  it('plan --json prints the plan; plan prints a readable summary', async () => {
    const json = await run('plan', '--json', 'topology/orders.yaml');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out).steps.map((s: { name: string }) => s.name)).toEqual(['enrich', 'notify', 'store-orders']);
    const text = await run('plan', 'topology/orders.yaml');
    expect(text.out).toContain('retry 5s → 30s → 5m → orders.created.enrich.dlq');
  });

  it('graph renders mermaid by default and dot on request; a bad format is a usage error', async () => {
    expect((await run('graph', 'topology/orders.yaml')).out).toMatch(/^flowchart LR/);
    expect((await run('graph', '--format', 'dot', 'topology/orders.yaml')).out).toMatch(/^digraph weir \{/);
    const bad = await run('graph', '--format', 'png');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--format must be one of mermaid, dot, text; got "png"');
  });

  it('schema-json prints a JSON Schema', async () => {
    const r = await run('schema-json');
    expect(JSON.parse(r.out)).toMatchObject({ $schema: expect.stringContaining('json-schema.org'), required: ['pipeline'] });
  });
});
