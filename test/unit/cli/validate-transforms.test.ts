// weir validate imports each transform module as weir run does: a module that does not load or
// whose export is not a function is an error at the `transform:` line, not a failure at start.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run.ts';

async function validate(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['validate', ...argv], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A project whose topology has one step per transform module (step i's `transform:` on line 7 + 4i). */
function project(modules: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'weir-validate-transforms-'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "p", "private": true, "type": "module" }\n');
  mkdirSync(join(dir, 'transforms'));
  for (const [name, source] of Object.entries(modules)) writeFileSync(join(dir, 'transforms', name), source);
  const steps = Object.keys(modules).map(
    (name, i) => `  s${i}:\n    input: in\n    transform: transforms/${name}#enrich\n    outputs: [out]\n`,
  );
  const topics = 'pipeline: shop\ntopics:\n  in: { partitions: 1, value: json }\n  out: { partitions: 1, value: json }\nsteps:\n';
  writeFileSync(join(dir, 'a.yaml'), topics + steps.join(''));
  return join(dir, 'a.yaml');
}

describe('validate imports transform modules', () => {
  it('reports a module with a syntax error at its transform line, with the loader message', async () => {
    const file = project({ 'bad.ts': 'export function enrich(r: { value: unknown }) {\n  return { value: r.value ;\n}\n' });
    const r = await validate(file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:8:16: error[invalid-module] transform of step \`s0\`: transforms/bad.ts does not load: `);
    // The loader's own words, with the place in the module.
    expect(r.err).toMatch(/bad\.ts:2:\d+/);
    expect(r.err).toMatch(/1 error$/);
  });

  it('reports an export that is not a function', async () => {
    const file = project({ 'ok.ts': 'export const enrich = (r: unknown) => r;\n', 'num.ts': 'export const enrich = 42;\n' });
    const r = await validate(file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `${file}:12:16: error[invalid-module] transform of step \`s1\`: transforms/num.ts: export enrich is a number, not a function`,
    );
    expect(r.err).toMatch(/1 error$/);
  });

  it('reports a module that throws while it loads, in --json too', async () => {
    const file = project({ 'throws.ts': 'throw new Error("no config for enrich");\nexport const enrich = () => null;\n' });
    const r = await validate('--json', file);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({
      valid: false,
      diagnostics: [
        { file, line: 8, column: 16, code: 'invalid-module', message: expect.stringContaining('does not load: no config for enrich') },
      ],
    });
  });

  it('is silent when every module loads', async () => {
    const file = project({ 'ok.ts': 'export async function enrich(r: { value: unknown }) {\n  return { value: r.value };\n}\n' });
    expect(await validate(file)).toEqual({ code: 0, out: '', err: '' });
  });
});
