import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  envFilePath,
  findEnvFile,
  formatEnvFile,
  loadConnectionSettings,
  parseEnvFile,
  projectDir,
  settingsWithSources,
} from '../../../src/config/connection.ts';
import { redactSetting, redactUrl } from '../../../src/config/redact.ts';

/** A team repository in a temp folder: package.json (or .git) at its root, .weir/stack.env, a subfolder. */
function teamRepo(marker: 'package.json' | '.git' = 'package.json', envFile?: string): { root: string; sub: string } {
  const outer = mkdtempSync(join(tmpdir(), 'weir-conn-'));
  const root = join(outer, 'team-repo');
  const sub = join(root, 'services', 'orders');
  mkdirSync(sub, { recursive: true });
  if (marker === '.git') mkdirSync(join(root, '.git'));
  else writeFileSync(join(root, 'package.json'), '{"name":"team"}\n');
  if (envFile !== undefined) {
    mkdirSync(join(root, '.weir'));
    writeFileSync(join(root, '.weir', 'stack.env'), envFile);
  }
  return { root, sub };
}

describe('connection settings', () => {
  it('round-trips the env file format, quotes included', () => {
    const values = { A: 'x=y', B: 'with "quotes" and spaces' };
    expect(parseEnvFile(formatEnvFile(values, 'header'))).toEqual(values);
  });

  it("finds the project's .weir/stack.env from a subfolder; the environment wins over the file", () => {
    const { root, sub } = teamRepo('package.json', 'KAFKA_BOOTSTRAP_SERVERS="file:1"\nREDIS_URL=redis://file\n');
    expect(projectDir(sub)).toBe(root);
    expect(findEnvFile(sub, {})).toBe(join(root, '.weir', 'stack.env'));
    const s = loadConnectionSettings(['KAFKA_BOOTSTRAP_SERVERS', 'REDIS_URL'], sub, { REDIS_URL: 'redis://env' });
    expect(s).toEqual({ KAFKA_BOOTSTRAP_SERVERS: 'file:1', REDIS_URL: 'redis://env' });
  });

  it('a repository without package.json is found by its .git', () => {
    const { root, sub } = teamRepo('.git', 'KAFKA_BOOTSTRAP_SERVERS=from-git-repo:9092\n');
    expect(projectDir(sub)).toBe(root);
    expect(loadConnectionSettings(['KAFKA_BOOTSTRAP_SERVERS'], sub, {})).toEqual({ KAFKA_BOOTSTRAP_SERVERS: 'from-git-repo:9092' });
  });

  it("stops at the project: a stack.env above it (another project's, or weir's own checkout) is not used", () => {
    const outer = mkdtempSync(join(tmpdir(), 'weir-conn-'));
    mkdirSync(join(outer, '.weir'));
    writeFileSync(join(outer, '.weir', 'stack.env'), 'KAFKA_BOOTSTRAP_SERVERS=outer:9092\n');
    const inner = join(outer, 'team');
    mkdirSync(inner);
    writeFileSync(join(inner, 'package.json'), '{}');
    expect(findEnvFile(inner, {})).toBeUndefined();
    expect(envFilePath(inner, {})).toBe(join(inner, '.weir', 'stack.env'));
    expect(() => loadConnectionSettings(['KAFKA_BOOTSTRAP_SERVERS'], inner, {})).toThrow(/missing connection settings/);
  });

  it('$WEIR_ENV_FILE names the file instead', () => {
    const { sub } = teamRepo('package.json', 'KAFKA_BOOTSTRAP_SERVERS=project:9092\n');
    const other = join(mkdtempSync(join(tmpdir(), 'weir-conn-')), 'ci.env');
    writeFileSync(other, 'KAFKA_BOOTSTRAP_SERVERS=ci:9092\n');
    expect(loadConnectionSettings(['KAFKA_BOOTSTRAP_SERVERS'], sub, { WEIR_ENV_FILE: other })).toEqual({
      KAFKA_BOOTSTRAP_SERVERS: 'ci:9092',
    });
  });

  it('says where each setting came from: environment, the env file (with its path), or not set', () => {
    const { root, sub } = teamRepo(
      'package.json',
      'KAFKA_BOOTSTRAP_SERVERS=file:9092\nDATABASE_URL=postgres://u:pw@db/weir\nREDIS_URL=redis://file\n',
    );
    const file = join(root, '.weir', 'stack.env');
    expect(settingsWithSources(['KAFKA_BOOTSTRAP_SERVERS', 'REDIS_URL', 'SCHEMA_REGISTRY_URL'], sub, { REDIS_URL: 'redis://env' })).toEqual(
      [
        { key: 'KAFKA_BOOTSTRAP_SERVERS', value: 'file:9092', source: { kind: 'env-file', file } },
        { key: 'REDIS_URL', value: 'redis://env', source: { kind: 'environment' } },
        { key: 'SCHEMA_REGISTRY_URL', value: undefined, source: { kind: 'not set' } },
      ],
    );
  });

  it('names what is missing and how to provide it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'weir-conn-'));
    expect(() => loadConnectionSettings(['DATABASE_URL'], empty, {})).toThrow(/missing connection settings: DATABASE_URL.*weir stack up/);
  });
});

describe('redaction', () => {
  it.each([
    ['postgres://weir:s3cret@db:5432/weir', 'postgres://weir:***@db:5432/weir'],
    ['redis://:s3cret@127.0.0.1:6379', 'redis://:***@127.0.0.1:6379'],
    ['https://user:s3cret@registry/apis/ccompat/v7', 'https://user:***@registry/apis/ccompat/v7'],
    ['postgres://db/weir?sslmode=require&password=s3cret', 'postgres://db/weir?sslmode=require&password=***'],
    ['postgres://postgres@127.0.0.1:5432/weir', 'postgres://postgres@127.0.0.1:5432/weir'],
    ['127.0.0.1:19092,broker-2:9092', '127.0.0.1:19092,broker-2:9092'],
  ])('%s → %s', (value, shown) => expect(redactUrl(value)).toBe(shown));

  it('masks secret settings entirely', () => {
    expect(redactSetting('KAFKA_SASL_PASSWORD', 's3cret', (k) => k.endsWith('PASSWORD'))).toBe('***');
  });
});
