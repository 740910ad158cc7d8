// The local stack as a whole: bring up, tear down, report, and write the connection settings file
// of the project it belongs to (see paths.ts).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { formatEnvFile, type ConnectionSettings } from '../config/connection.ts';
import { chooseBrokers, kafkaDown, kafkaStatus, kafkaUp } from './kafka-cluster.ts';
import { kafkaBootstrap, scramBootstrap, type BrokerCount } from './kafka-config.ts';
import { managedDown, managedStatus, managedUp } from './managed.ts';
import { stackPaths, type StackPaths } from './paths.ts';
import { DEFAULT_DATABASE_URL, postgresDown, postgresStatus, postgresUp } from './postgres.ts';
import { kafkaTransactionalRoundTrip } from './probes.ts';
import { StackError } from './proc.ts';
import { DEFAULT_REDIS_URL, redisService } from './redis.ts';
import { REGISTRY_DATABASE, registryService, registryUrl } from './registry.ts';
import { since, type ServiceReport } from './report.ts';
import { readState } from './state.ts';
import { SCRAM } from './versions.ts';

/** Extra settings for tests of secured clusters: the SCRAM listener(s) and its user. */
export function scramSettings(brokers: BrokerCount = 1): Record<string, string> {
  return {
    WEIR_SCRAM_BOOTSTRAP_SERVERS: scramBootstrap(brokers),
    WEIR_SCRAM_USERNAME: SCRAM.username,
    WEIR_SCRAM_PASSWORD: SCRAM.password,
    WEIR_SCRAM_MECHANISM: SCRAM.mechanism,
  };
}

/** The settings of a stack of `brokers` Kafka nodes: KAFKA_BOOTSTRAP_SERVERS lists them all. */
export function stackSettings(env = process.env, brokers: BrokerCount = 1): ConnectionSettings {
  return {
    KAFKA_BOOTSTRAP_SERVERS: kafkaBootstrap(brokers),
    SCHEMA_REGISTRY_URL: registryUrl(),
    DATABASE_URL: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    REDIS_URL: env.REDIS_URL || DEFAULT_REDIS_URL,
  };
}

export type Progress = (line: string) => void;

export interface StackOptions {
  /** The stack of the project around this folder (default: the working directory). */
  from?: string;
  progress?: Progress;
  /** Kafka nodes for `stackUp` (default: what the project's stack has, else 1); see kafka-cluster.ts. */
  brokers?: BrokerCount;
  /** `stackDown`: also delete the Kafka data. */
  purge?: boolean;
}

export interface StackResult {
  project: string;
  settings: ConnectionSettings;
  /** Kafka nodes. */
  brokers: BrokerCount;
  services: ServiceReport[];
  envFile: string;
}

/** `.weir/` holds only generated files: a `.gitignore` of `*` keeps them out of the team's repository. */
function ignoreWeirFolder(p: StackPaths): void {
  const weir = join(p.project, '.weir');
  const ignore = join(weir, '.gitignore');
  if (existsSync(ignore) || ![p.dir, p.envFile].some((f) => f.startsWith(weir + sep))) return;
  mkdirSync(weir, { recursive: true });
  writeFileSync(ignore, '# Written by `weir stack up`: everything here is generated (stack data, logs, settings).\n*\n');
}

/** Starts what is not running, waits until everything answers, writes the env file. */
export async function stackUp(opts: StackOptions = {}): Promise<StackResult> {
  const progress = opts.progress ?? (() => undefined);
  const p = stackPaths(opts.from);
  const st = readState(p.state);
  const brokers = chooseBrokers(p, st, opts.brokers); // refuses to mix 1 and 3 brokers on one data dir
  const settings = stackSettings(process.env, brokers);
  const services: ServiceReport[] = [];
  const step = async (name: string, run: () => Promise<ServiceReport>) => {
    progress(`${name} ...`);
    const report = await run();
    services.push(report);
    progress(`${name} ${report.status}${report.seconds !== undefined ? ` (${report.seconds} s)` : ''}`);
    return report;
  };
  ignoreWeirFolder(p);
  await step('postgres', () =>
    postgresUp(st, settings.DATABASE_URL, [new URL(settings.DATABASE_URL).pathname.slice(1), REGISTRY_DATABASE]),
  );
  await step('redis', () => managedUp(redisService(p, settings.REDIS_URL), st));
  progress(brokers === 1 ? 'kafka ...' : `kafka: ${brokers} nodes, each broker and controller ...`);
  const kafkaUpResult = await kafkaUp(p, st, brokers, progress);
  for (const r of kafkaUpResult.reports) {
    services.push(r);
    progress(`${r.name} ${r.status}${r.seconds !== undefined ? ` (${r.seconds} s)` : ''}`);
  }
  const kafka = kafkaUpResult.reports[0]!;
  await step('registry', () => managedUp(registryService(p, settings.DATABASE_URL, progress), st));
  progress('kafka transactional round trip ...');
  const t0 = Date.now();
  await kafkaTransactionalRoundTrip(settings.KAFKA_BOOTSTRAP_SERVERS).catch((err: Error) => {
    throw new StackError(`Kafka answers metadata requests but a transaction did not complete: ${err.message}`, kafka.log);
  });
  kafka.detail = `transactional round trip ok (${since(t0)} s)`;
  kafkaUpResult.finishSetup();
  mkdirSync(dirname(p.envFile), { recursive: true });
  writeFileSync(
    p.envFile,
    formatEnvFile({ ...settings, ...scramSettings(brokers) }, 'Written by `weir stack up`: connection settings of the local stack.'),
  );
  return { project: p.project, settings, brokers, services, envFile: p.envFile };
}

/** Stops, in reverse order, only what this project's stack started (`purge`: and deletes the Kafka data). */
export async function stackDown(opts: StackOptions = {}): Promise<ServiceReport[]> {
  const p = stackPaths(opts.from);
  const st = readState(p.state);
  const settings = stackSettings();
  return [
    await managedDown(registryService(p, settings.DATABASE_URL), st),
    ...(await kafkaDown(p, st, opts.purge ?? false)),
    await managedDown(redisService(p, settings.REDIS_URL), st),
    await postgresDown(st, settings.DATABASE_URL),
  ];
}

export async function stackStatus(opts: StackOptions = {}): Promise<ServiceReport[]> {
  const p = stackPaths(opts.from);
  const st = readState(p.state);
  const settings = stackSettings();
  const [kafka, ...rest] = await Promise.all([
    kafkaStatus(p, st),
    managedStatus(registryService(p, settings.DATABASE_URL), st),
    postgresStatus(st, settings.DATABASE_URL),
    managedStatus(redisService(p, settings.REDIS_URL), st),
  ]);
  return [...kafka, ...rest];
}
