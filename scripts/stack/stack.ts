// The local stack as a whole: bring up, tear down, report, and write the connection settings file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatEnvFile, type ConnectionSettings } from '../../src/config/connection.ts';
import { ensureScramUser, kafkaEndpoint, kafkaService, needsScramUser } from './kafka.ts';
import { managedDown, managedStatus, managedUp } from './managed.ts';
import { paths } from './paths.ts';
import { DEFAULT_DATABASE_URL, postgresDown, postgresStatus, postgresUp } from './postgres.ts';
import { kafkaTransactionalRoundTrip } from './probes.ts';
import { StackError } from './proc.ts';
import { DEFAULT_REDIS_URL, redisService } from './redis.ts';
import { REGISTRY_DATABASE, registryService, registryUrl } from './registry.ts';
import { since, type ServiceReport } from './report.ts';
import { readState } from './state.ts';
import { ports, SCRAM } from './versions.ts';

/** Extra settings for tests of secured clusters: the SCRAM listener and its user. */
export function scramSettings(): Record<string, string> {
  return {
    WEIR_SCRAM_BOOTSTRAP_SERVERS: `127.0.0.1:${ports.kafkaScram}`,
    WEIR_SCRAM_USERNAME: SCRAM.username,
    WEIR_SCRAM_PASSWORD: SCRAM.password,
    WEIR_SCRAM_MECHANISM: SCRAM.mechanism,
  };
}

export function stackSettings(env = process.env): ConnectionSettings {
  return {
    KAFKA_BOOTSTRAP_SERVERS: kafkaEndpoint(),
    SCHEMA_REGISTRY_URL: registryUrl(),
    DATABASE_URL: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    REDIS_URL: env.REDIS_URL || DEFAULT_REDIS_URL,
  };
}

export interface StackResult {
  settings: ConnectionSettings;
  services: ServiceReport[];
  envFile: string;
}

type Progress = (line: string) => void;

/** Starts what is not running, waits until everything answers, writes the env file. */
export async function stackUp(progress: Progress = () => undefined): Promise<StackResult> {
  const state = readState();
  const settings = stackSettings();
  const services: ServiceReport[] = [];
  const step = async (name: string, run: () => Promise<ServiceReport>) => {
    progress(`${name} ...`);
    const report = await run();
    services.push(report);
    progress(`${name} ${report.status}${report.seconds !== undefined ? ` (${report.seconds} s)` : ''}`);
    return report;
  };
  await step('postgres', () =>
    postgresUp(state, settings.DATABASE_URL, [new URL(settings.DATABASE_URL).pathname.slice(1), REGISTRY_DATABASE]),
  );
  await step('redis', () => managedUp(redisService(settings.REDIS_URL), state));
  const kafka = await step('kafka', () => managedUp(kafkaService(), state));
  await step('registry', () => managedUp(registryService(settings.DATABASE_URL), state));
  progress('kafka transactional round trip ...');
  const t0 = Date.now();
  await kafkaTransactionalRoundTrip(settings.KAFKA_BOOTSTRAP_SERVERS).catch((err: Error) => {
    throw new StackError(`Kafka answers metadata requests but a transaction did not complete: ${err.message}`, kafka.log);
  });
  kafka.detail = `transactional round trip ok (${since(t0)} s)`;
  if (needsScramUser) ensureScramUser(needsScramUser.java, needsScramUser.libs, needsScramUser.log);
  mkdirSync(dirname(paths.envFile), { recursive: true });
  writeFileSync(
    paths.envFile,
    formatEnvFile({ ...settings, ...scramSettings() }, 'Written by `npm run stack:up`: connection settings of the local stack.'),
  );
  return { settings, services, envFile: paths.envFile };
}

/** Stops, in reverse order, only what this checkout started. */
export async function stackDown(): Promise<ServiceReport[]> {
  const state = readState();
  const settings = stackSettings();
  return [
    await managedDown(registryService(settings.DATABASE_URL), state),
    await managedDown(kafkaService(), state),
    await managedDown(redisService(settings.REDIS_URL), state),
    await postgresDown(state, settings.DATABASE_URL),
  ];
}

export async function stackStatus(): Promise<ServiceReport[]> {
  const state = readState();
  const settings = stackSettings();
  return Promise.all([
    managedStatus(kafkaService(), state),
    managedStatus(registryService(settings.DATABASE_URL), state),
    postgresStatus(state, settings.DATABASE_URL),
    managedStatus(redisService(settings.REDIS_URL), state),
  ]);
}
