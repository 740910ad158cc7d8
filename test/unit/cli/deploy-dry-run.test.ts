// `weir deploy` is a dry run unless --execute. No broker here: src/admin/deploy.ts (the only code
// that reads or changes the cluster, registry and database for deploy) is replaced by spies, so the
// test sees exactly what the command would have changed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeployDiff } from '../../../src/admin/deploy.ts';
import { runCli } from '../../../src/cli/run.ts';

const admin = vi.hoisted(() => ({ diff: undefined as DeployDiff | undefined, diffDeploy: vi.fn(), applyDeploy: vi.fn() }));
vi.mock('../../../src/admin/deploy.ts', () => ({ diffDeploy: admin.diffDeploy, applyDeploy: admin.applyDeploy }));

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const TOPOLOGY = `pipeline: plain
topics:
  orders: { partitions: 2, value: string }
steps:
  notify:
    input: orders
    sink:
      http: { url: http://127.0.0.1:9/hook }
`;

const CHANGES: DeployDiff = {
  changes: [{ kind: 'create-topic', target: 'orders', detail: '2 partitions' }],
  refusals: [],
  tables: [],
};

describe('weir deploy: dry run unless --execute', () => {
  let file: string;

  beforeEach(() => {
    file = join(mkdtempSync(join(tmpdir(), 'weir-deploy-dry-')), 'plain.yaml');
    writeFileSync(file, TOPOLOGY);
    // Addresses nothing listens on: the connections are only described, never opened (admin is mocked).
    vi.stubEnv('WEIR_ENV_FILE', join(tmpdir(), 'weir-no-such-stack.env'));
    vi.stubEnv('KAFKA_BOOTSTRAP_SERVERS', '127.0.0.1:9');
    vi.stubEnv('SCHEMA_REGISTRY_URL', 'http://127.0.0.1:9');
    admin.diff = structuredClone(CHANGES);
    admin.diffDeploy.mockReset().mockImplementation(async () => admin.diff);
    admin.applyDeploy.mockReset().mockResolvedValue(undefined);
  });

  afterEach(() => vi.unstubAllEnvs());

  it('without --execute: shows the plan, changes nothing, exits 0', async () => {
    const r = await run('deploy', file);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe('+ topic orders: 2 partitions\n1 change (dry run: nothing changed); add --execute to apply');
    expect(admin.diffDeploy).toHaveBeenCalledOnce();
    expect(admin.applyDeploy).not.toHaveBeenCalled();
  });

  it('--dry-run is accepted and means the same', async () => {
    const r = await run('deploy', '--dry-run', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain('(dry run: nothing changed)');
    expect(admin.applyDeploy).not.toHaveBeenCalled();
  });

  it('--json says dryRun and not applied', async () => {
    const r = await run('deploy', '--json', file);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ dryRun: true, applied: false, upToDate: false, changes: CHANGES.changes });
    expect(admin.applyDeploy).not.toHaveBeenCalled();
  });

  it('--execute applies the diff it just computed', async () => {
    const r = await run('deploy', '--execute', file);
    expect(r.code).toBe(0);
    expect(r.out).toBe('+ topic orders: 2 partitions\napplied 1 change');
    expect(admin.applyDeploy).toHaveBeenCalledOnce();
    expect(admin.applyDeploy.mock.calls[0]![3]).toBe(admin.diff);
    expect(JSON.parse((await run('deploy', '--execute', '--json', file)).out)).toMatchObject({ dryRun: false, applied: true });
  });

  it('--execute with nothing to change, or with a refusal, applies nothing', async () => {
    admin.diff = { changes: [], refusals: [], tables: [] };
    expect(await run('deploy', '--execute', file)).toMatchObject({ code: 0, out: 'up to date: nothing to change' });
    admin.diff = { ...structuredClone(CHANGES), refusals: [{ target: 'orders', reason: 'has 3 partitions, the plan says 2' }] };
    const refused = await run('deploy', '--execute', file);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('! refused orders: has 3 partitions, the plan says 2');
    expect(refused.out).toContain('nothing was applied');
    // The dry run of a refused plan fails too: --execute would.
    expect((await run('deploy', file)).code).toBe(1);
    expect(admin.applyDeploy).not.toHaveBeenCalled();
  });

  it('--execute and --dry-run together are a usage error, before anything is read', async () => {
    const r = await run('deploy', '--execute', '--dry-run', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain('weir deploy: give --execute or --dry-run, not both');
    expect(admin.diffDeploy).not.toHaveBeenCalled();
  });
});
