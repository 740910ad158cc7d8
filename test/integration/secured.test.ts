// Against the broker's SASL/SCRAM listener: deploy (including topic configs over @platformatic/kafka
// connection), an exactly-once `weir run`, the web console reading lag and the DLQ with the same
// settings, secrets read from a file and never printed, and a wrong password reported as such.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.ts';
import { kafkaSettings } from '../../src/config/kafka.ts';
import { startConsole } from '../../src/console/server.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import { compileTopology } from '../../src/topology/compile/index.ts';
import { CLEAN, decodeEvents, eventRecords, makeEvents, verifyOutput } from '../helpers/events.ts';
import { produceAll, readAll, waitForGroupCaughtUp } from '../helpers/kafka.ts';
import { projectOnly, transformTopology } from '../helpers/pipeline.ts';
import { scram, scramEnv, services } from '../helpers/services.ts';
import { WorkerPool } from '../helpers/workers.ts';

async function cli(env: Record<string, string>, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { ...process.env };
  Object.assign(process.env, services(), env);
  try {
    const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    process.env = saved;
  }
}

describe('a SASL/SCRAM cluster', { timeout: 180_000 }, () => {
  it('deploys and runs exactly-once with credentials from a file, printing no secret', async () => {
    const env = scramEnv(scram().password);
    const p = projectOnly(transformTopology({ partitions: 2 }));
    const deployed = await cli(env, 'deploy', '--execute', p.file);
    expect(deployed.code).toBe(0);
    expect(deployed.out).toMatch(/applied \d+ changes/);
    expect((await cli(env, 'deploy', '--execute', p.file)).out).toBe('up to date: nothing to change'); // configs read over SCRAM
    const events = makeEvents(300, 10);
    await produceAll(await eventRecords(`in.${p.id}`, events)); // on the plain listener: same cluster
    const pool = new WorkerPool(p, { env });
    pool.start('a');
    await waitForGroupCaughtUp(`weir.t${p.id}.step-${p.id}`, `in.${p.id}`);
    expect(verifyOutput(await decodeEvents(await readAll(`out.${p.id}`)), events)).toEqual(CLEAN);
    // The console with the same settings: lag and the DLQ read over SCRAM.
    const { plan } = compileTopology([p.file], { root: p.root });
    const s = kafkaSettings({ ...services(), ...env });
    const web = await startConsole(
      {
        plan: plan!,
        kafka: { bootstrapServers: s.bootstrapServers, extra: s.extra },
        registry: new RegistryClient(services().SCHEMA_REGISTRY_URL),
        workers: [],
      },
      0,
      '127.0.0.1',
    );
    const pages: string[] = [];
    try {
      for (const path of ['/', '/fragments/steps', '/dlq']) {
        const res = await fetch(`${web.url}${path}`);
        expect(res.status).toBe(200);
        pages.push(await res.text());
      }
    } finally {
      await web.close();
    }
    expect(pages[1]).toMatch(/data-testid="lag">0</);
    expect(pages[2]).toContain(`step-${p.id}`);
    expect(await pool.stopAll()).toEqual([0]);
    const outputs = [
      deployed.out,
      deployed.err,
      (await cli(env, 'plan', p.file)).out,
      (await cli(env, 'env')).out,
      JSON.stringify(pool.history.flatMap((w) => w.logs)),
      ...pages,
    ];
    for (const text of outputs) expect(text).not.toContain(scram().password);
  });

  it('a wrong password fails with the reason', async () => {
    const p = projectOnly(transformTopology({ partitions: 1 }));
    const r = await cli(scramEnv('not-the-password'), 'deploy', p.file);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/SASL authentication|Authentication failed/i);
    expect(r.err).not.toContain('not-the-password');
  });
});
