// Every path package.json promises (exports under each condition, main, types, bin) is one the build
// emits and the package ships; the build's JavaScript imports .js, never .ts. Checked without building
// (a build takes tens of seconds): TypeScript names the files each build config emits, and
// transpiles each source as the build would.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const at = (p: string) => resolve(ROOT, p);

interface Pkg {
  main: string;
  types: string;
  bin: Record<string, string>;
  files: string[];
  exports: Record<string, unknown>;
  scripts: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(at('package.json'), 'utf8')) as Pkg;

function config(file: string): ts.ParsedCommandLine {
  const host = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d: ts.Diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(at(file), {}, host)!;
  expect(parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  return parsed;
}
const esm = config('tsconfig.build.json');
const cjs = config('tsconfig.build.cjs.json');
const emitted = (c: ts.ParsedCommandLine) => new Set(c.fileNames.flatMap((f) => ts.getOutputFileNames(c, f, false).map((o) => resolve(o))));
const esmOut = emitted(esm);
const cjsOut = emitted(cjs);

/** Node's PACKAGE_TARGET_RESOLVE for conditional exports: the first key (in order) that matches. */
function target(value: unknown, conditions: readonly string[]): string | undefined {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'default' && !conditions.includes(key)) continue;
    const found = target(v, conditions);
    if (found !== undefined) return found;
  }
  return undefined;
}

const NODE_IMPORT = ['node', 'import'];
const NODE_REQUIRE = ['node', 'require'];
const TS_ESM = ['types', 'node', 'import'];
const TS_CJS = ['types', 'node', 'require'];
const SOURCE = ['weir-source', 'types', 'node', 'import'];
const ENTRIES = ['.', './testing'];

describe('package.json', () => {
  it.each(ENTRIES)('%s: JavaScript and declarations the build emits from the source the checkout uses', (entry) => {
    const value = pkg.exports[entry];
    const source = at(target(value, SOURCE)!);
    expect(existsSync(source)).toBe(true);
    const fromSource = ts.getOutputFileNames(esm, source, false).map((o) => resolve(o));
    const js = at(target(value, NODE_IMPORT)!);
    const dts = at(target(value, TS_ESM)!);
    expect(js).toMatch(/\.js$/);
    expect(dts).toMatch(/\.d\.ts$/);
    expect(fromSource).toEqual(expect.arrayContaining([js, dts]));
    expect(esmOut.has(js) && esmOut.has(dts)).toBe(true);
  });

  it('`weir` for CommonJS: a CommonJS build of the transform API with its own declarations', () => {
    const js = at(target(pkg.exports['.'], NODE_REQUIRE)!);
    const dts = at(target(pkg.exports['.'], TS_CJS)!);
    expect(js).toBe(at('dist/cjs/runtime/api.js'));
    expect(dts).toBe(at('dist/cjs/runtime/api.d.ts'));
    expect(cjsOut.has(js) && cjsOut.has(dts)).toBe(true);
    expect(cjs.options.module).toBe(ts.ModuleKind.CommonJS);
    // dist/cjs/package.json makes Node and TypeScript read dist/cjs/**/*.js and .d.ts as CommonJS.
    expect(pkg.scripts.build).toContain('tsc -p tsconfig.build.cjs.json');
    expect(pkg.scripts.build).toContain('npm run build:cjs-type');
    expect(pkg.scripts['build:cjs-type']).toMatch(/dist\/cjs\/package\.json.*type: 'commonjs'/);
    const out = ts.transpileModule(readFileSync(at('src/runtime/api.ts'), 'utf8'), { compilerOptions: cjs.options, fileName: 'api.ts' });
    expect(out.outputText).toContain('exports.RetryableError = RetryableError');
    expect(out.outputText).toContain('exports.NonRetryableError = NonRetryableError');
  });

  it('main and types (for resolvers without exports) are the ESM build of `weir`', () => {
    expect(at(pkg.main)).toBe(at(target(pkg.exports['.'], NODE_IMPORT)!));
    expect(at(pkg.types)).toBe(at(target(pkg.exports['.'], TS_ESM)!));
  });

  it('bin/weir.js runs dist/cli/main.js, or src/cli/main.ts in a checkout', () => {
    expect(pkg.bin).toEqual({ weir: 'bin/weir.js' });
    const bin = readFileSync(at('bin/weir.js'), 'utf8');
    expect(bin.startsWith('#!/usr/bin/env -S node --max-semi-space-size=32\n')).toBe(true);
    expect(bin).toContain("await import('../dist/cli/main.js')");
    expect(bin).toContain("await import('../src/cli/main.ts')");
    // CommonJS, so that libuv's pool size is set before the pool starts (it has for an ES module entry).
    expect(JSON.parse(readFileSync(at('bin/package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    expect(bin.indexOf("process.env.UV_THREADPOOL_SIZE ??= '64'")).toBeLessThan(bin.indexOf('import('));
    expect(esmOut.has(at('dist/cli/main.js'))).toBe(true);
    expect(existsSync(at('src/cli/main.ts'))).toBe(true);
  });

  it('the Docker image runs the compiled build with the same V8 flag, and its final stage has no compiler and no sources', () => {
    const stages = readFileSync(at('Dockerfile'), 'utf8').split(/^FROM /m);
    expect(stages.length).toBeGreaterThanOrEqual(3); // a build stage and the image
    const image = stages.at(-1)!;
    expect(image).not.toMatch(/build-essential|\bgcc\b|\bg\+\+|\bmake\b|python3|-dev\b/);
    expect(image).not.toMatch(/^COPY (--from=\S+ )?\S*src\b/m);
    expect(image).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(image).toContain('ENTRYPOINT ["node", "--max-semi-space-size=32", "bin/weir.js"]');
  });

  it('ships every file it promises', () => {
    const promised = [
      pkg.main,
      pkg.types,
      ...Object.values(pkg.bin),
      ...ENTRIES.flatMap((e) => [NODE_IMPORT, NODE_REQUIRE, TS_ESM, TS_CJS].map((c) => target(pkg.exports[e], c))),
    ].filter((p): p is string => p !== undefined);
    const shipped = (p: string) => pkg.files.some((f) => (f.endsWith('/') ? p.startsWith(f) : p === f));
    expect(promised.map((p) => p.replace(/^\.\//, '')).filter((p) => !shipped(p))).toEqual([]);
    expect(target(pkg.exports['./package.json'], NODE_IMPORT)).toBe('./package.json');
  });

  it('every file named in `files` exists (npm pack leaves a missing one out without a word)', () => {
    expect(pkg.files.filter((f) => !f.endsWith('/') && !existsSync(at(f)))).toEqual([]);
  });

  it.skipIf(!existsSync(at('dist/cli/main.js')))('every promised file exists in the build at dist/', () => {
    const promised = [
      pkg.main,
      pkg.types,
      ...ENTRIES.flatMap((e) => [NODE_IMPORT, NODE_REQUIRE, TS_ESM, TS_CJS].map((c) => target(pkg.exports[e], c))),
    ];
    expect(promised.filter((p) => p !== undefined && !existsSync(at(p)))).toEqual([]);
    expect(JSON.parse(readFileSync(at('dist/cjs/package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
  });
});

describe('the build', () => {
  it('rewrites relative .ts imports (static and dynamic) to .js', () => {
    expect(esm.options.rewriteRelativeImportExtensions).toBe(true);
    // transpileModule does not read package.json's "type": ask for the ES modules the build emits.
    const compilerOptions = { ...esm.options, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler };
    const wrong: string[] = [];
    let seen = 0;
    for (const file of esm.fileNames) {
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions, fileName: file });
      for (const m of outputText.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\1/g)) {
        seen++;
        if (!/\.(js|json)$/.test(m[2]!)) wrong.push(`${file.slice(ROOT.length)}: ${m[2]}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(seen).toBeGreaterThan(100);
  }, 20_000);

  it("compiles src/ only, at dist/'s depth (package-root-relative URLs work from both)", () => {
    expect(resolve(esm.options.rootDir!)).toBe(at('src'));
    expect(resolve(esm.options.outDir!)).toBe(at('dist'));
    expect(esm.fileNames.every((f) => resolve(f).startsWith(join(at('src'), '/')))).toBe(true);
  });
});
