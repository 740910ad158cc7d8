// What `npm pack` puts in the package: the compiled CLI and API, bin/, templates/ and the user docs —
// never the sources, tests, benchmarks, scripts or local state. (`--ignore-scripts`: no build here;
// dist/ is listed only when a build exists, so without one the `files` allowlist is checked.)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
const FORBIDDEN = ['test/', 'bench/', 'scripts/', 'src/', 'scratch/', '.weir/', 'node_modules/', 'coverage/'];

let files: string[] = [];
beforeAll(() => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
  files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
}, 30_000);

describe('npm pack', () => {
  it('leaves out sources, tests, benchmarks, scripts and local state', () => {
    expect(files.filter((f) => FORBIDDEN.some((dir) => f.startsWith(dir)))).toEqual([]);
    expect(files.filter((f) => /\.test\.[cm]?[jt]s$/.test(f))).toEqual([]);
    // TypeScript ships as declarations only; the templates of `weir init` are the team's own files.
    expect(files.filter((f) => /\.[cm]?tsx?$/.test(f) && !/\.d\.[cm]?ts$/.test(f) && !f.startsWith('templates/'))).toEqual([]);
    expect(files.filter((f) => /^tsconfig.*\.json$|^vitest\.config|^eslint\.config|^\.|^docker|^deploy\//.test(f))).toEqual([]);
  });

  it('has the entry point, the manifest, the README and the user docs', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'bin/weir.js',
        'bin/package.json',
        'package.json',
        'README.md',
        'docs/topology.md',
        'docs/topology.schema.json',
      ]),
    );
    expect(files.filter((f) => f.startsWith('docs/')).every((f) => pkg.files.includes(f))).toBe(true);
  });

  it('ships dist/ (checked in the listing when a build exists)', () => {
    expect(pkg.files).toContain('dist/');
    if (!existsSync(join(ROOT, 'dist/cli/main.js'))) return;
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/cli/main.js',
        'dist/runtime/api.js',
        'dist/runtime/api.d.ts',
        'dist/cjs/runtime/api.js',
        'dist/cjs/package.json',
      ]),
    );
  });
});
