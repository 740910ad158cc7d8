// `weir env` run in a team's repository: settings from the environment or the project's
// .weir/stack.env (found from a subfolder), each with its source, and no password printed.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/cli/run.ts';
import { KAFKA_SECURITY_KEYS } from '../../../src/config/kafka.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const SETTINGS = ['KAFKA_BOOTSTRAP_SERVERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL', 'REDIS_URL', 'WEIR_ENV_FILE'];
const SECURITY = KAFKA_SECURITY_KEYS.flatMap((k) => [k, `${k}_FILE`]);

describe('weir env in a team repository', () => {
  let root: string;
  let envFile: string;

  beforeEach(() => {
    root = join(mkdtempSync(join(tmpdir(), 'weir-env-')), 'team-repo');
    const sub = join(root, 'topology', 'nested');
    mkdirSync(sub, { recursive: true });
    mkdirSync(join(root, '.git'));
    mkdirSync(join(root, '.weir'));
    envFile = join(root, '.weir', 'stack.env');
    writeFileSync(
      envFile,
      [
        'KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:19092"',
        'DATABASE_URL="postgres://weir:file-db-secret@127.0.0.1:5432/weir"',
        'REDIS_URL="redis://127.0.0.1:6379"',
        'KAFKA_SASL_PASSWORD="file-sasl-secret"',
        '',
      ].join('\n'),
    );
    for (const k of [...SETTINGS, ...SECURITY]) vi.stubEnv(k, undefined);
    vi.stubEnv('REDIS_URL', 'redis://:env-redis-secret@cache:6379');
    vi.spyOn(process, 'cwd').mockReturnValue(sub);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('shows each setting with where it came from, passwords masked; exit 1 while one is missing', async () => {
    const r = await run('env');
    expect(r.code).toBe(1); // SCHEMA_REGISTRY_URL is set nowhere
    const line = (key: string) => r.out.split('\n').find((l) => l.startsWith(`${key} `));
    expect(line('KAFKA_BOOTSTRAP_SERVERS')).toMatch(new RegExp(`127\\.0\\.0\\.1:19092 +\\(\\.weir/stack\\.env at ${envFile}\\)$`));
    expect(line('REDIS_URL')).toMatch(/redis:\/\/:\*\*\*@cache:6379 +\(environment\)$/);
    expect(line('DATABASE_URL')).toContain('postgres://weir:***@127.0.0.1:5432/weir');
    expect(line('SCHEMA_REGISTRY_URL')).toMatch(/^SCHEMA_REGISTRY_URL +\(not set\)$/);
    expect(line('KAFKA_SASL_PASSWORD')).toMatch(/^KAFKA_SASL_PASSWORD +\*\*\* +\(\.weir\/stack\.env at /);
    expect(line('KAFKA_SASL_USERNAME')).toBeUndefined(); // security settings only when set
    for (const secret of ['file-db-secret', 'env-redis-secret', 'file-sasl-secret']) expect(r.out + r.err).not.toContain(secret);
  });

  it('--json carries the same sources, and no password', async () => {
    vi.stubEnv('SCHEMA_REGISTRY_URL', 'https://reg-user:env-reg-secret@registry/apis/ccompat/v7');
    const r = await run('env', '--json');
    expect(r.code).toBe(0);
    expect(r.out).not.toMatch(/secret/);
    const json = JSON.parse(r.out) as {
      project: string;
      envFile: string;
      settings: Array<{ key: string; value: string | null; source: string }>;
    };
    expect(json.project).toBe(root);
    expect(json.envFile).toBe(envFile);
    expect(json.settings).toEqual([
      { key: 'KAFKA_BOOTSTRAP_SERVERS', value: '127.0.0.1:19092', source: `.weir/stack.env at ${envFile}` },
      { key: 'SCHEMA_REGISTRY_URL', value: 'https://reg-user:***@registry/apis/ccompat/v7', source: 'environment' },
      { key: 'DATABASE_URL', value: 'postgres://weir:***@127.0.0.1:5432/weir', source: `.weir/stack.env at ${envFile}` },
      { key: 'REDIS_URL', value: 'redis://:***@cache:6379', source: 'environment' },
      { key: 'KAFKA_SASL_PASSWORD', value: '***', source: `.weir/stack.env at ${envFile}` },
    ]);
  });

  it('without a stack.env everything is `not set`', async () => {
    vi.spyOn(process, 'cwd').mockReturnValue(mkdtempSync(join(tmpdir(), 'weir-env-empty-')));
    vi.stubEnv('REDIS_URL', undefined);
    const r = await run('env', '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out) as { envFile: string | null; settings: Array<{ source: string; value: unknown }> };
    expect(json.envFile).toBeNull();
    expect(json.settings.map((s) => [s.source, s.value])).toEqual(Array(4).fill(['not set', null]));
  });
});

describe('WEIR_CONNECT_TIMEOUT', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('defaults to 15 s, takes a duration, and names itself when the value is not one', async () => {
    const { connectTimeoutMs } = await import('../../../src/cli/connections.ts');
    vi.stubEnv('WEIR_CONNECT_TIMEOUT', '');
    expect(connectTimeoutMs()).toBe(15_000);
    vi.stubEnv('WEIR_CONNECT_TIMEOUT', '4s');
    expect(connectTimeoutMs()).toBe(4_000);
    for (const bad of ['soon', '0s', '10m']) {
      vi.stubEnv('WEIR_CONNECT_TIMEOUT', bad);
      expect(() => connectTimeoutMs()).toThrow(`WEIR_CONNECT_TIMEOUT expects a duration from 1s to 5m, like 15s; got "${bad}"`);
    }
  });
});
