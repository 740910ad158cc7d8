// Connection settings for the services weir talks to. One contract for the CLI, the workers and
// the tests: environment variables win; otherwise the env file written by `npm run stack:up`
// (`.weir/stack.env`, found by walking up from the working directory, or $WEIR_ENV_FILE).
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

/** The env file in effect: $WEIR_ENV_FILE, else the nearest `.weir/stack.env` above `from`. */
export function findEnvFile(from = process.cwd(), env = process.env): string | undefined {
  if (env.WEIR_ENV_FILE) return resolve(env.WEIR_ENV_FILE);
  let dir = resolve(from);
  for (;;) {
    const candidate = join(dir, ENV_FILE_RELATIVE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export class MissingConnectionSettings extends Error {
  constructor(
    readonly missing: string[],
    readonly envFile: string | undefined,
  ) {
    super(
      `missing connection settings: ${missing.join(', ')}. Set them in the environment, ` +
        (envFile ? `or add them to ${envFile}` : 'or run `npm run stack:up` to start a local stack and write .weir/stack.env'),
    );
    this.name = 'MissingConnectionSettings';
  }
}

/** Raw values from the environment and the env file (environment first), without validation. */
export function readConnectionValues(from = process.cwd(), env = process.env): Record<string, string> {
  const file = findEnvFile(from, env);
  const fromFile = file && existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  const merged: Record<string, string> = { ...fromFile };
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') merged[k] = v;
  return merged;
}

/** The settings named in `keys`; throws a message naming what is missing and where to set it. */
export function loadConnectionSettings<K extends ConnectionKey>(
  keys: readonly K[] = CONNECTION_KEYS as unknown as K[],
  from = process.cwd(),
  env = process.env,
): Pick<ConnectionSettings, K> {
  const values = readConnectionValues(from, env);
  const missing = keys.filter((k) => !values[k]);
  if (missing.length > 0) throw new MissingConnectionSettings(missing, findEnvFile(from, env));
  return Object.fromEntries(keys.map((k) => [k, values[k]])) as Pick<ConnectionSettings, K>;
}
