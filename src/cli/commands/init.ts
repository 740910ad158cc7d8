// `weir init [dir]`: a team's own repository that works from the first commit — an example pipeline
// (topology, Avro schemas, a typed transform), its broker-free tests, a pull-request workflow, a
// local stack for Docker, package.json and tsconfig.json. The files are templates/init/ of this
// package, with placeholders (`__NAME__`, …) substituted in their paths and contents.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../args.ts';
import { JSON_OPTION, type Command } from '../command.ts';

// This module is src/cli/commands/init.ts (development) or dist/cli/commands/init.js (the compiled
// package): either way the package root, with templates/ and package.json, is three folders up.
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TEMPLATE_DIR = join(PACKAGE_ROOT, 'templates', 'init');

/** Template names npm would not publish (`.gitignore`) or that are stored without their dot. */
const DOT_NAMES: Record<string, string> = { gitignore: '.gitignore', github: '.github' };

/** Pipeline names: what the topology language allows for `pipeline:` (and step names). */
const PIPELINE_NAME = /^[a-z][a-z0-9-]*$/;

/** A pipeline name from a folder name: `My Team_Streams` → `my-team-streams`. */
export function pipelineNameFrom(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (name === '') return 'pipeline';
  return /^[a-z]/.test(name) ? name : `pipeline-${name}`;
}

/** An npm package name from a folder name: lower case, URL-safe, not starting with `.` or `_`. */
export function packageNameFrom(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._~-]+|[.-]+$/g, '')
    .slice(0, 214);
  return name === '' ? 'pipelines' : name;
}

interface WeirPackage {
  version: string;
  engines?: { node?: string };
  devDependencies?: Record<string, string>;
}

/** `~5.9.3` → `^5.9.3`: the same major as weir's own, any later minor. */
function caret(spec: string | undefined, fallback: string): string {
  const v = spec?.match(/\d+(\.\d+){0,2}/)?.[0];
  return v ? `^${v}` : fallback;
}

export function placeholders(name: string, packageName: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as WeirPackage;
  return {
    __NAME__: name,
    __PACKAGE__: packageName,
    __WEIR_VERSION__: pkg.version,
    __NODE_ENGINES__: pkg.engines?.node ?? '>=20',
    __TYPESCRIPT_VERSION__: caret(pkg.devDependencies?.typescript, '^5'),
    __TYPES_NODE_VERSION__: caret(pkg.devDependencies?.['@types/node'], '^20'),
  };
}

function substitute(text: string, values: Record<string, string>): string {
  return Object.entries(values).reduce((t, [placeholder, value]) => t.split(placeholder).join(value), text);
}

/** Every template file, as its path in the template folder and its path in the new repository. */
export function templateFiles(values: Record<string, string>, dir = TEMPLATE_DIR): Array<{ from: string; to: string }> {
  const out: Array<{ from: string; to: string }> = [];
  const walk = (rel: string[]) => {
    for (const entry of readdirSync(join(dir, ...rel)).sort()) {
      const from = [...rel, entry];
      if (statSync(join(dir, ...from)).isDirectory()) walk(from);
      else out.push({ from: from.join('/'), to: from.map((p, i) => substitute(i === 0 ? (DOT_NAMES[p] ?? p) : p, values)).join('/') });
    }
  };
  walk([]);
  return out.sort((a, b) => a.to.localeCompare(b.to));
}

type Manifest = Record<string, unknown> & { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
const DEPENDENCY_KEYS = ['dependencies', 'devDependencies'] as const;

/** The package.json already in the folder, when it is a JSON object. */
function readManifest(file: string): Manifest | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Manifest) : undefined;
  } catch {
    return undefined;
  }
}

/** What `npm install weir` leaves in an empty folder: dependencies and nothing else. */
const onlyDependencies = (m: Manifest) => Object.keys(m).every((k) => (DEPENDENCY_KEYS as readonly string[]).includes(k));

/** The scaffold's package.json keeping the folder's own dependencies (their versions win: they chose them). */
function mergeManifest(scaffold: string, theirs: Manifest): string {
  const ours = JSON.parse(scaffold) as Manifest;
  for (const key of DEPENDENCY_KEYS) {
    const merged = Object.entries({ ...ours[key], ...theirs[key] }).sort(([a], [b]) => a.localeCompare(b));
    if (merged.length > 0) ours[key] = Object.fromEntries(merged);
  }
  return `${JSON.stringify(ours, null, 2)}\n`;
}

export interface InitResult {
  dir: string;
  pipeline: string;
  package: string;
  /** Paths relative to `dir`, `/`-separated. */
  files: string[];
  /** The files that existed before and were replaced (only with --force). */
  overwritten: string[];
  /** `package.json` when one existed: the new one keeps its dependencies and devDependencies. */
  merged: string[];
}

function nextSteps(dir: string, pipeline: string): string[] {
  return [
    'next:',
    ...(resolve(dir) === process.cwd() ? [] : [`  cd ${dir}`]),
    '  npm install',
    '  npm test            # validate the topology and run topology/tests/, no broker needed',
    '  npx weir stack up   # local Kafka, schema registry, Postgres and Redis (with Docker: --compose)',
    '  npm run deploy      # the topics with their retry tiers and DLQ, the schemas',
    '  npm start           # the workers',
    `then send records to ${pipeline}.events with \`npx weir produce\` and read ${pipeline}.normalized with \`npx weir consume\` (README.md).`,
  ];
}

export const initCommand: Command = {
  name: 'init',
  summary: 'write a team repository: an example pipeline, its schemas, transform and tests, CI and a local stack',
  options: [
    {
      name: 'name',
      type: 'string',
      description: 'pipeline name: topology/<name>.yaml, schemas/<name>/, transforms/<name>.ts (default: the folder name)',
      value: '<name>',
    },
    { name: 'force', type: 'boolean', description: 'overwrite files that already exist' },
    JSON_OPTION,
  ],
  positionals: [{ name: 'dir', description: 'the repository folder, created if missing (default: .)' }],
  details:
    'Writes package.json, tsconfig.json, topology/<name>.yaml, topology/tests/<name>.yaml, schemas/<name>/*.avsc, transforms/<name>.ts, ' +
    '.github/workflows/weir.yml, docker-compose.yml, .gitignore and README.md. Refuses (exit 1) when any of them exists, naming them, unless --force. ' +
    'An existing package.json keeps its dependencies; one with nothing else (as `npm install weir` leaves in an empty folder) is no obstacle.',
  async run(args, io) {
    const dir = args.positionals[0] ?? '.';
    const target = resolve(dir);
    if (existsSync(target) && !statSync(target).isDirectory()) {
      io.err(`weir init: ${dir} exists and is not a folder`);
      return 1;
    }
    const folder = basename(target);
    const given = args.options.name as string | undefined;
    if (given !== undefined && !PIPELINE_NAME.test(given))
      throw new UsageError(
        `--name must start with a lowercase letter and use only lowercase letters, digits and "-"; got ${JSON.stringify(given)}`,
        'init',
      );
    const pipeline = given ?? pipelineNameFrom(folder);
    const packageName = packageNameFrom(folder);
    const values = placeholders(pipeline, packageName);
    const files = templateFiles(values);
    const theirs = readManifest(join(target, 'package.json'));
    const existing = files.filter((f) => existsSync(join(target, f.to))).map((f) => f.to);
    const conflicts = existing.filter((f) => !(f === 'package.json' && theirs && onlyDependencies(theirs)));
    if (conflicts.length > 0 && !args.options.force) {
      if (args.options.json)
        io.out(JSON.stringify({ dir: target, pipeline, package: packageName, files: [], wouldOverwrite: conflicts }, null, 2));
      io.err(
        [
          `weir init: these files exist in ${dir} and would be overwritten:`,
          ...conflicts.map((f) => `  ${f}`),
          'nothing was written; pass --force to overwrite them, or choose another folder or --name',
        ].join('\n'),
      );
      return 1;
    }
    for (const f of files) {
      const to = join(target, f.to);
      mkdirSync(dirname(to), { recursive: true });
      const text = substitute(readFileSync(join(TEMPLATE_DIR, f.from), 'utf8'), values);
      writeFileSync(to, f.to === 'package.json' && theirs ? mergeManifest(text, theirs) : text);
    }
    const merged = theirs ? ['package.json'] : [];
    const result: InitResult = {
      dir: target,
      pipeline,
      package: packageName,
      files: files.map((f) => f.to),
      overwritten: existing.filter((f) => !merged.includes(f)),
      merged,
    };
    if (args.options.json) io.out(JSON.stringify(result, null, 2));
    else {
      io.out(`wrote ${files.length} files in ${dir} (pipeline ${pipeline}):`);
      const note = (f: string) =>
        merged.includes(f) ? '   (replaced, its dependencies kept)' : result.overwritten.includes(f) ? '   (overwritten)' : '';
      for (const f of result.files) io.out(`  ${f}${note(f)}`);
      io.out(['', ...nextSteps(dir, pipeline)].join('\n'));
    }
    return 0;
  },
};
