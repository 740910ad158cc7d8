// Finds the services integration tests run against, in this order:
//   1. the environment (KAFKA_BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL, DATABASE_URL, REDIS_URL);
//   2. the local stack (src/stack, `weir stack up`), started if needed: needs Java and Maven;
//   3. testcontainers, when a Docker engine is reachable.
// Each is checked with the same readiness probes the stack uses before any test runs.
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { CONNECTION_KEYS, type ConnectionSettings } from '../../src/config/connection.ts';
import './services.ts';
import { kafkaMetadata, postgresSelect1, redisPing, registryConfig } from '../../src/stack/probes.ts';

async function verify(s: ConnectionSettings): Promise<void> {
  await kafkaMetadata(s.KAFKA_BOOTSTRAP_SERVERS);
  await registryConfig(s.SCHEMA_REGISTRY_URL);
  await postgresSelect1(s.DATABASE_URL);
  await redisPing(s.REDIS_URL);
}

function fromEnvironment(): ConnectionSettings | undefined {
  const values = CONNECTION_KEYS.map((k) => process.env[k]);
  if (values.every((v) => v)) return Object.fromEntries(CONNECTION_KEYS.map((k) => [k, process.env[k]!])) as ConnectionSettings;
  return undefined;
}

async function canRunLocalStack(): Promise<boolean> {
  const { findJdks } = await import('../../src/stack/java.ts');
  const { execFileSync } = await import('node:child_process');
  try {
    execFileSync('sh', ['-c', 'command -v mvn'], { stdio: 'ignore' });
  } catch {
    return false;
  }
  return findJdks().some((j) => j.major >= 17);
}

const scramFromEnvironment = () =>
  Object.fromEntries(
    ['WEIR_SCRAM_BOOTSTRAP_SERVERS', 'WEIR_SCRAM_USERNAME', 'WEIR_SCRAM_PASSWORD', 'WEIR_SCRAM_MECHANISM']
      .filter((k) => process.env[k])
      .map((k) => [k, process.env[k]!]),
  );

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const env = fromEnvironment();
  project.provide('scram', scramFromEnvironment());
  if (env) {
    await verify(env);
    process.stderr.write('integration tests: services from the environment\n');
    project.provide('services', env);
    return;
  }
  if (await canRunLocalStack()) {
    const { stackUp, scramSettings } = await import('../../src/stack/stack.ts');
    process.stderr.write('integration tests: local stack (weir stack up)\n');
    // weir's own checkout is the project: its .weir/stack and .weir/stack.env, whatever the working directory.
    const from = fileURLToPath(new URL('../..', import.meta.url));
    const { settings } = await stackUp({ from, progress: (line) => process.stderr.write(`  stack: ${line}\n`) });
    await verify(settings);
    project.provide('services', settings);
    project.provide('scram', scramSettings());
    return;
  }
  const { startContainers } = await import('./containers.ts');
  process.stderr.write('integration tests: no local stack possible (Java/Maven missing); trying testcontainers\n');
  const { settings, stop } = await startContainers();
  await verify(settings);
  project.provide('services', settings);
  return stop;
}
