// `weir init`: the scaffold it writes is complete, compiles, and its own `weir test` cases pass; a
// second run refuses to overwrite (naming the files) unless --force.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import ts from 'typescript';
import { parse } from 'yaml';
import { packageNameFrom, pipelineNameFrom } from '../../../src/cli/commands/init.ts';
import { runCli } from '../../../src/cli/run.ts';
import { runTestFiles } from '../../../src/testing/cases/run.ts';
import { compileTopology } from '../../../src/topology/compile/index.ts';

const REPO = process.cwd();
const weir = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

const EXPECTED = [
  '.github/workflows/weir.yml',
  '.gitignore',
  'docker-compose.yml',
  'package.json',
  'README.md',
  'schemas/my-team/Event.avsc',
  'schemas/my-team/NormalizedEvent.avsc',
  'topology/my-team.yaml',
  'topology/tests/my-team.yaml',
  'transforms/my-team.ts',
  'tsconfig.json',
];

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  process.chdir(REPO);
});

async function weirInit(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['init', ...argv], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** An empty folder named my-team (the pipeline and package name come from it). */
function emptyRepo(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'weir-init-')), 'my-team');
  mkdirSync(dir);
  return dir;
}

describe('weir init', () => {
  it('writes every file of the scaffold into an empty folder', async () => {
    const dir = emptyRepo();
    const r = await weirInit(dir, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { dir: string; pipeline: string; package: string; files: string[]; overwritten: string[] };
    expect(report).toMatchObject({ dir, pipeline: 'my-team', package: 'my-team', overwritten: [], merged: [] });
    expect([...report.files].sort()).toEqual([...EXPECTED].sort());
    for (const f of EXPECTED) expect(existsSync(join(dir, f)), f).toBe(true);
    // No placeholder is left anywhere.
    for (const f of EXPECTED) expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/__[A-Z_]+__/);

    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string | boolean>;
    expect(pkg).toMatchObject({
      name: 'my-team',
      private: true,
      type: 'module',
      dependencies: { weir: `^${weir.version}` },
      scripts: { test: 'weir validate && weir test', typecheck: 'tsc --noEmit', deploy: 'weir deploy --execute', start: 'weir run' },
    });
    const tsMajor = (spec: string) => spec.match(/\d+/)?.[0];
    expect(tsMajor((pkg.devDependencies as Record<string, string>).typescript!)).toBe(tsMajor(weir.devDependencies.typescript!));
    const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true });

    const workflow = readFileSync(join(dir, '.github/workflows/weir.yml'), 'utf8');
    expect(workflow).toContain('pull_request');
    expect(workflow).toContain('fetch-depth: 0');
    for (const run of ['npm ci', 'npx weir validate', 'npx weir schemas check --against git:origin/', 'npm test', 'npm run typecheck'])
      expect(workflow).toContain(run);
    const onPullRequest = parse(workflow) as {
      on: Record<string, unknown>;
      jobs: Record<string, { steps: Array<Record<string, unknown>> }>;
    };
    expect(Object.keys(onPullRequest.on)).toEqual(['pull_request']);
    expect(Object.values(onPullRequest.jobs)[0]!.steps.map((s) => s.uses ?? s.run)).toEqual([
      'actions/checkout@v4',
      'actions/setup-node@v4',
      'npm ci',
      'npx weir validate',
      'npx weir schemas check --against git:origin/${{ github.base_ref }}',
      'npm test',
      'npm run typecheck',
    ]);
    const compose = parse(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')) as { services: Record<string, unknown> };
    expect(Object.keys(compose.services).sort()).toEqual(['kafka', 'postgres', 'redis', 'registry']);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['node_modules/', '.weir/']));
    expect(readFileSync(join(dir, 'transforms/my-team.ts'), 'utf8')).toContain("import { NonRetryableError, type Transform } from 'weir';");
  });

  it('refuses to overwrite, naming the files; --force overwrites', async () => {
    const dir = emptyRepo();
    expect((await weirInit(dir)).code).toBe(0);
    const transform = join(dir, 'transforms/my-team.ts');
    const original = readFileSync(transform, 'utf8');
    writeFileSync(transform, '// changed by the team\n');

    const refused = await weirInit(dir);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    for (const f of EXPECTED) expect(refused.err).toContain(`  ${f}\n`);
    expect(refused.err).toMatch(/--force/);
    expect(readFileSync(transform, 'utf8')).toBe('// changed by the team\n');

    const json = await weirInit(dir, '--json');
    expect(json.code).toBe(1);
    expect((JSON.parse(json.out) as { wouldOverwrite: string[] }).wouldOverwrite.sort()).toEqual([...EXPECTED].sort());

    const forced = await weirInit(dir, '--force');
    expect(forced.code).toBe(0);
    expect(forced.out).toContain('transforms/my-team.ts   (overwritten)');
    expect(forced.out).toMatch(/next:[\s\S]*npm test[\s\S]*npx weir stack up[\s\S]*npm run deploy[\s\S]*npm start/);
    expect(readFileSync(transform, 'utf8')).toBe(original);
  });

  it('refuses when only some files exist, and leaves other files alone', async () => {
    const dir = emptyRepo();
    writeFileSync(join(dir, 'package.json'), '{"name":"theirs"}\n');
    writeFileSync(join(dir, 'NOTES.md'), 'ours\n');
    const refused = await weirInit(dir);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('  package.json\n');
    expect(refused.err).not.toContain('tsconfig.json');
    expect(existsSync(join(dir, 'tsconfig.json'))).toBe(false);
    expect((await weirInit(dir, '--force')).code).toBe(0);
    expect(readFileSync(join(dir, 'NOTES.md'), 'utf8')).toBe('ours\n');
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toMatchObject({ name: 'my-team', type: 'module' });
  });

  it('after `npm install weir` in an empty folder, init keeps the dependencies of its package.json', async () => {
    const dir = emptyRepo();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ dependencies: { weir: 'file:../weir', zod: '^3.25.0' } }));
    const r = await weirInit(dir, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ overwritten: [], merged: ['package.json'] });
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(pkg).toMatchObject({ name: 'my-team', type: 'module', scripts: { test: 'weir validate && weir test' } });
    expect(pkg.dependencies).toEqual({ weir: 'file:../weir', zod: '^3.25.0' });
    expect(Object.keys(pkg.devDependencies!)).toEqual(['@types/node', 'typescript']);
  });

  it('defaults to the current folder; --name chooses the pipeline name', async () => {
    const dir = emptyRepo();
    process.chdir(dir);
    const r = await weirInit('--name', 'payments', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { pipeline: string; package: string; files: string[] };
    expect(report).toMatchObject({ pipeline: 'payments', package: 'my-team' });
    expect(report.files).toEqual(
      expect.arrayContaining(['topology/payments.yaml', 'transforms/payments.ts', 'schemas/payments/Event.avsc']),
    );
    expect(readFileSync(join(dir, 'topology/payments.yaml'), 'utf8')).toMatch(/^pipeline: payments$/m);
    const bad = await weirInit('--name', 'Bad_Name');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--name must start with a lowercase letter/);
  });

  it('derives pipeline and package names from any folder name', () => {
    expect(pipelineNameFrom('My Team_Streams')).toBe('my-team-streams');
    expect(pipelineNameFrom('2024-events')).toBe('pipeline-2024-events');
    expect(pipelineNameFrom('---')).toBe('pipeline');
    expect(packageNameFrom('My Team_Streams')).toBe('my-team_streams');
    expect(packageNameFrom('.hidden')).toBe('hidden');
    expect(packageNameFrom('@@@')).toBe('pipelines');
  });

  it("the scaffold's topology compiles, its transform typechecks and its weir test cases pass", async () => {
    const dir = emptyRepo();
    expect((await weirInit(dir)).code).toBe(0);
    // The scaffold's transform imports 'weir': as an installed dependency it resolves to this repository.
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO, join(dir, 'node_modules', 'weir'), 'dir');

    const compiled = compileTopology([join(dir, 'topology/my-team.yaml')]);
    expect(compiled.diagnostics).toEqual([]);
    expect(compiled.root).toBe(dir);
    const step = compiled.plan!.steps.find((s) => s.name === 'normalize')!;
    expect(step.retry.dlqOn).toEqual(['ValidationError']);
    expect(step.retry.tiers.length).toBe(3);
    expect(compiled.plan!.topics.map((t) => t.name)).toEqual(
      expect.arrayContaining(['my-team.events', 'my-team.normalized', 'my-team.events.normalize.retry.5s', 'my-team.events.normalize.dlq']),
    );

    process.chdir(dir);
    const results = await runTestFiles(['topology/tests/my-team.yaml']);
    expect(results.map((r) => ({ name: r.name, ok: r.ok, failures: r.failures }))).toEqual([
      { name: 'a valid event is normalized', ok: true, failures: [] },
      { name: 'an invalid event lands in the DLQ with its error class', ok: true, failures: [] },
      { name: 'a poison pill lands in the DLQ with its bytes intact', ok: true, failures: [] },
    ]);

    // `npm run typecheck` of the scaffold: its tsconfig.json over its transform, typed by weir's API (here its
    // sources, through the `weir-source` export condition, instead of the compiled package's declarations).
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(join(dir, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, dir, {
      customConditions: ['weir-source'],
      typeRoots: [join(REPO, 'node_modules', '@types')],
    });
    expect(config.fileNames).toEqual([join(dir, 'transforms/my-team.ts')]);
    const program = ts.createProgram(config.fileNames, config.options);
    const typeErrors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(typeErrors).toEqual([]);

    // And through the CLI, as `npm test` runs it in the team's repository.
    const out: string[] = [];
    const validate = await runCli(['validate'], { out: (t) => out.push(t), err: (t) => out.push(t) });
    expect(validate, out.join('\n')).toBe(0);
    const test = await runCli(['test'], { out: (t) => out.push(t), err: (t) => out.push(t) });
    expect(test, out.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(/3 passed, 0 failed/);
  });
});
