// In-process workers for integration tests (`runSteps`, as `weir run` wires them) on the test
// stack, and a one-shot query against its Postgres.
import pg from 'pg';
import { runSteps, type RunOptions, type Running } from '../../src/cli/workers.ts';
import { rootLogger } from '../../src/observability/logger.ts';
import { RegistryClient } from '../../src/schema/registry.ts';
import type { Plan } from '../../src/topology/plan.ts';
import { kafkaConnection, services } from './services.ts';

/** Every step of `p`'s plan (instance id "test", 6 s sessions); `extra` adds or overrides options. */
export function startSteps(
  p: { plan: Plan; root: string; id: string },
  clientId: string,
  extra: Partial<RunOptions> = {},
): Promise<Running> {
  return runSteps({
    plan: p.plan,
    root: p.root,
    kafka: kafkaConnection(clientId),
    registry: new RegistryClient(services().SCHEMA_REGISTRY_URL),
    logger: rootLogger().child({ test: p.id }),
    instanceId: 'test',
    sessionTimeoutMs: 6_000,
    ...extra,
  });
}

export async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: services().DATABASE_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
