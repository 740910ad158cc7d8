// Only what a command uses is resolved: `weir deploy` (and --dry-run) compiles a topology whose
// HTTP sink needs ${VARS} that are not set — only `weir run` needs them — while
// `weir validate --check-env` (and `weir run`) still report each one at file:line:column.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../../src/cli/run.ts';
import { compileFiles } from '../../../src/cli/topology-input.ts';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const TOPOLOGY = `pipeline: notify
topics:
  orders:
    partitions: 2
    value: string
steps:
  notify:
    input: orders
    sink:
      http:
        url: \${WEIR_TEST_NOTIFY_URL}
        headers:
          Authorization: Bearer \${WEIR_TEST_NOTIFY_TOKEN}
          X-Region: \${WEIR_TEST_REGION:-eu}
`;

describe('environment variables per command', () => {
  let file: string;

  beforeEach(() => {
    file = join(mkdtempSync(join(tmpdir(), 'weir-deploy-env-')), 'notify.yaml');
    writeFileSync(file, TOPOLOGY);
    for (const k of ['WEIR_TEST_NOTIFY_URL', 'WEIR_TEST_NOTIFY_TOKEN', 'WEIR_TEST_REGION']) vi.stubEnv(k, undefined);
  });

  afterEach(() => vi.unstubAllEnvs());

  it("deploy's compilation succeeds with the HTTP sink's variables unset; the plan lists them, unresolved", () => {
    const result = compileFiles([file], 'deploy');
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.plan?.steps.map((s) => s.name)).toEqual(['notify']);
    expect(result.plan?.env.map((e) => e.name)).toEqual(['WEIR_TEST_NOTIFY_TOKEN', 'WEIR_TEST_NOTIFY_URL', 'WEIR_TEST_REGION']);
    expect(JSON.stringify(result.plan)).toContain('${WEIR_TEST_NOTIFY_URL}');
  });

  it('run (and --check-env) still require them', () => {
    for (const checkEnv of [true, 'run'] as const) {
      const result = compileFiles([file], checkEnv);
      expect(result.plan).toBeUndefined();
      expect(result.diagnostics.filter((d) => d.code === 'missing-env').map((d) => d.message)).toEqual([
        'environment variable WEIR_TEST_NOTIFY_URL is not set',
        'environment variable WEIR_TEST_NOTIFY_TOKEN is not set',
      ]);
    }
  });

  it('weir deploy --dry-run gets past the topology without them (and stops at the missing broker, before any connection)', async () => {
    vi.stubEnv('KAFKA_BOOTSTRAP_SERVERS', undefined);
    vi.stubEnv('WEIR_ENV_FILE', join(tmpdir(), 'weir-no-such-stack.env'));
    const r = await run('deploy', '--dry-run', file);
    expect(r.code).toBe(1);
    expect(r.err).not.toContain('missing-env');
    expect(r.err).toContain('KAFKA_BOOTSTRAP_SERVERS is not set');
  });

  it('weir validate passes; weir validate --check-env reports each variable at file:line:column', async () => {
    expect(await run('validate', file)).toEqual({ code: 0, out: '', err: '' });
    const r = await run('validate', '--check-env', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:11:14: error[missing-env] environment variable WEIR_TEST_NOTIFY_URL is not set`);
    expect(r.err).toContain(`${file}:13:26: error[missing-env] environment variable WEIR_TEST_NOTIFY_TOKEN is not set`);
    expect(r.err).not.toContain('WEIR_TEST_REGION'); // has a default
    expect(r.err).toMatch(/2 errors$/);
  });

  it('the example topology/orders.yaml compiles for deploy with NOTIFY_URL and NOTIFY_TOKEN unset', () => {
    vi.stubEnv('NOTIFY_URL', undefined);
    vi.stubEnv('NOTIFY_TOKEN', undefined);
    expect(compileFiles(['topology/orders.yaml'], 'deploy').plan).toBeDefined();
  });
});
