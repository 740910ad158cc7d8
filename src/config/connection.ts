// Connection settings for the services weir talks to. One contract for the CLI, the workers and
// the tests: environment variables win; otherwise the env file written by `weir stack up` in the
// project weir runs in: `<project>/.weir/stack.env`, where the project is the nearest folder at or
// above the working directory with a package.json or .git (or $WEIR_ENV_FILE names the file).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const CONNECTION_KEYS = ['KAFKA_BOOTSTRAP_SERVERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL', 'REDIS_URL'] as const;

export type ConnectionKey = (typeof CONNECTION_KEYS)[number];
export type ConnectionSettings = Record<ConnectionKey, string>;

export const ENV_FILE_RELATIVE = join('.weir', 'stack.env');

/** Parses `KEY=value` lines; `#` starts a comment line; values may be double-quoted. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = JSON.parse(value) as string;
    }
    out[key] = value;
  }
  return out;
}

export function formatEnvFile(values: Record<string, string>, header: string): string {
  const lines = [`# ${header}`];
  for (const [k, v] of Object.entries(values)) lines.push(`${k}=${JSON.stringify(v)}`);
  return lines.join('\n') + '\n';
}

/**
 * The project weir works in: the nearest folder at or above `from` with a package.json or a .git
 * (the team's repository, or weir's own checkout); `from` itself when there is none. The local
 * stack keeps its state there and the settings are read from there, so both agree from any subfolder.
 */
export function projectDir(from = process.cwd()): string {
  const start = resolve(from);
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) || existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

/** Where the env file of the project around `from` is (or would be written): $WEIR_ENV_FILE, else `<project>/.weir/stack.env`. */
export function envFilePath(from = process.cwd(), env = process.env): string {
  return env.WEIR_ENV_FILE ? resolve(env.WEIR_ENV_FILE) : join(projectDir(from), ENV_FILE_RELATIVE);
}

/** The env file in effect: $WEIR_ENV_FILE, else the project's `.weir/stack.env` when it exists. */
export function findEnvFile(from = process.cwd(), env = process.env): string | undefined {
  const file = envFilePath(from, env);
  return env.WEIR_ENV_FILE || existsSync(file) ? file : undefined;
}

export class MissingConnectionSettings extends Error {
  constructor(
    readonly missing: string[],
    readonly envFile: string | undefined,
    /** Where `weir stack up` would write them. */
    expected = ENV_FILE_RELATIVE,
  ) {
    super(
      `missing connection settings: ${missing.join(', ')}. Set them in the environment, ` +
        (envFile ? `or add them to ${envFile}` : `or run \`weir stack up\` to start a local stack and write ${expected}`),
    );
    this.name = 'MissingConnectionSettings';
  }
}

function readEnvFile(file: string | undefined): Record<string, string> {
  return file && existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
}

/** Raw values from the environment and the env file (environment first), without validation. */
export function readConnectionValues(from = process.cwd(), env = process.env): Record<string, string> {
  const merged: Record<string, string> = { ...readEnvFile(findEnvFile(from, env)) };
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') merged[k] = v;
  return merged;
}

/** Where a setting's value came from. */
export type SettingSource = { kind: 'environment' } | { kind: 'env-file'; file: string } | { kind: 'not set' };

export interface SettingWithSource {
  key: string;
  /** The raw value: may hold a password; redact before printing. */
  value: string | undefined;
  source: SettingSource;
}

/** Each of `keys` with its value and where it came from: the environment wins over the env file. */
export function settingsWithSources(keys: readonly string[], from = process.cwd(), env = process.env): SettingWithSource[] {
  const file = findEnvFile(from, env);
  const fromFile = readEnvFile(file);
  return keys.map((key) => {
    const e = env[key];
    if (e !== undefined && e !== '') return { key, value: e, source: { kind: 'environment' } };
    const f = fromFile[key];
    if (f !== undefined && f !== '' && file) return { key, value: f, source: { kind: 'env-file', file } };
    return { key, value: undefined, source: { kind: 'not set' } };
  });
}

/** The settings named in `keys`; throws a message naming what is missing and where to set it. */
export function loadConnectionSettings<K extends ConnectionKey>(
  keys: readonly K[] = CONNECTION_KEYS as unknown as K[],
  from = process.cwd(),
  env = process.env,
): Pick<ConnectionSettings, K> {
  const values = readConnectionValues(from, env);
  const missing = keys.filter((k) => !values[k]);
  if (missing.length > 0) throw new MissingConnectionSettings(missing, findEnvFile(from, env), envFilePath(from, env));
  return Object.fromEntries(keys.map((k) => [k, values[k]])) as Pick<ConnectionSettings, K>;
}
