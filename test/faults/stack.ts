// The fault suite's private stack: a three-node Kafka cluster (brokers.ts), Postgres, Redis and a
// schema registry, on a private network of namespaces (network.ts). The suite kills, freezes, cuts
// off and restarts them, which it must never do to the shared stack other tests rely on.
// Everything lives under $TMPDIR/weir-faults and is recreated per run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensureApicurio, ensureKafkaJars } from '../../src/stack/artifacts.ts';
import { requireJava } from '../../src/stack/java.ts';
import { redisPing, registryConfig } from '../../src/stack/probes.ts';
import { portOpen, waitUntil } from '../../src/stack/proc.ts';
import { APICURIO_MIN_JAVA, KAFKA_MIN_JAVA } from '../../src/stack/versions.ts';
import { FaultCluster } from './brokers.ts';
import { PrivatePostgres } from './postgres.ts';
import { host, HOST_IP, netDown, netUp, SUBNET } from './network.ts';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const FAULT_PORTS = {
  postgres: port('WEIR_FAULTS_POSTGRES_PORT', 25432),
  redis: port('WEIR_FAULTS_REDIS_PORT', 26379),
  registry: port('WEIR_FAULTS_REGISTRY_PORT', 28081),
  registryManagement: port('WEIR_FAULTS_REGISTRY_MANAGEMENT_PORT', 28082),
  registryPostgres: port('WEIR_FAULTS_REGISTRY_POSTGRES_PORT', 25433),
};
/** Worker processes run in these slots (a stable --instance-id each), each on a host of its own. */
export const WORKER_SLOTS = ['a', 'b', 'c'] as const;
export type WorkerSlot = (typeof WORKER_SLOTS)[number];
const HOME = join(tmpdir(), 'weir-faults');
export const logOf = (name: string) => join(HOME, 'logs', `${name}.log`);

function spawnLogged(name: string, command: string, args: string[]): ChildProcess {
  mkdirSync(join(HOME, 'logs'), { recursive: true });
  const fd = openSync(logOf(name), 'a');
  return spawn(command, args, { stdio: ['ignore', fd, fd] });
}

/** Processes a previous run left behind (its test process was killed): found by their command lines. */
function killLeftovers(): void {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (cmdline.includes(HOME) || cmdline.includes('-Dweir.faults=') || cmdline.includes(`redis-server 127.0.0.1:${FAULT_PORTS.redis}`))
      process.kill(Number(pid), 'SIGKILL');
  }
}

export class FaultStack {
  private redis: ChildProcess | undefined;
  private registry: ChildProcess | undefined;
  private readonly java = requireJava(KAFKA_MIN_JAVA, "the fault suite's Kafka cluster");
  private readonly libs = ensureKafkaJars();
  /** The sink's database: the postgres scenario crashes it. */
  readonly postgres = new PrivatePostgres(join(HOME, 'postgres'), FAULT_PORTS.postgres, logOf('postgres'));
  /** The registry's storage, apart from the sink's as in production: no scenario touches it. */
  private readonly registryPostgres = new PrivatePostgres(
    join(HOME, 'registry-postgres'),
    FAULT_PORTS.registryPostgres,
    logOf('registry-postgres'),
  );
  readonly cluster = new FaultCluster(join(HOME, 'kafka'), this.java.java, this.libs, logOf);
  /** One host per worker slot: a worker's link can be cut or degraded alone. */
  readonly workerHosts = new Map(WORKER_SLOTS.map((slot, i) => [slot, host(`w${slot}`, 21 + i)]));

  /** As the test process (root namespace) reaches everything. */
  readonly settings = {
    KAFKA_BOOTSTRAP_SERVERS: this.cluster.bootstrap,
    DATABASE_URL: `postgres://postgres@127.0.0.1:${FAULT_PORTS.postgres}/postgres`,
    REDIS_URL: `redis://127.0.0.1:${FAULT_PORTS.redis}`,
    SCHEMA_REGISTRY_URL: `http://127.0.0.1:${FAULT_PORTS.registry}/apis/ccompat/v7`,
  };

  /** As workers, in their namespaces, reach the same services (network.ts: HOST_IP). */
  readonly workerSettings = Object.fromEntries(
    Object.entries(this.settings).map(([k, v]) => [k, v.replace('127.0.0.1', HOST_IP)]),
  ) as typeof this.settings;

  /** Fresh data for everything, then starts it all and waits until each answers. */
  async start(): Promise<void> {
    if (existsSync('/proc')) killLeftovers();
    await new Promise((r) => setTimeout(r, 200));
    for (const [name, p] of Object.entries(FAULT_PORTS)) {
      if (await portOpen(p))
        throw new Error(
          `the fault suite needs port ${p} (${name}) but something listens there; stop it or set WEIR_FAULTS_${name.toUpperCase()}_PORT`,
        );
    }
    rmSync(HOME, { recursive: true, force: true });
    netUp([...this.cluster.hosts, ...this.workerHosts.values()]);
    this.cluster.format();
    mkdirSync(join(HOME, 'logs'), { recursive: true });
    // Postgres (running as its own user) writes its log there.
    if (userInfo().uid === 0) execFileSync('chmod', ['a+rwx', join(HOME, 'logs')]);
    this.postgres.init(SUBNET);
    this.registryPostgres.init(SUBNET);
    await Promise.all([
      this.cluster.startAll(),
      this.postgres.start(),
      this.registryPostgres.start().then(() => this.startRegistry()),
      this.startRedis(),
    ]);
  }

  async startRedis(): Promise<void> {
    this.redis = spawnLogged('redis', 'redis-server', [
      '--port',
      String(FAULT_PORTS.redis),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      // Workers reach it from their namespaces: not loopback clients, which protected mode refuses.
      '--protected-mode',
      'no',
    ]);
    await waitUntil(() => redisPing(this.settings.REDIS_URL), {
      what: "the fault suite's Redis",
      timeoutMs: 20_000,
      logFile: logOf('redis'),
    });
  }

  async killRedis(): Promise<void> {
    const r = this.redis;
    if (!r || r.exitCode !== null || r.signalCode !== null) return;
    const exited = new Promise((res) => r.once('exit', res));
    r.kill('SIGKILL');
    await exited;
  }

  /**
   * Apicurio Registry, private like the rest: the registry scenario kills it. Its schemas live in
   * a Postgres of its own (database registry), so they survive its restarts, as in production.
   */
  async startRegistry(): Promise<void> {
    const admin = new pg.Client({ connectionString: this.registryPostgres.url });
    admin.on('error', () => undefined); // a dead connection fails the query; the event must not crash the suite
    await admin.connect();
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'registry'");
    if (exists.rowCount === 0) await admin.query('CREATE DATABASE registry');
    await admin.end();
    const env = {
      ...process.env,
      APICURIO_STORAGE_KIND: 'sql',
      APICURIO_STORAGE_SQL_KIND: 'postgresql',
      APICURIO_DATASOURCE_URL: `jdbc:postgresql://127.0.0.1:${FAULT_PORTS.registryPostgres}/registry`,
      APICURIO_DATASOURCE_USERNAME: 'postgres',
      APICURIO_DATASOURCE_PASSWORD: 'unused',
      APICURIO_RULES_GLOBAL_COMPATIBILITY: 'BACKWARD',
      QUARKUS_HTTP_HOST: '127.0.0.1',
      QUARKUS_HTTP_PORT: String(FAULT_PORTS.registry),
      QUARKUS_MANAGEMENT_HOST: '127.0.0.1',
      QUARKUS_MANAGEMENT_PORT: String(FAULT_PORTS.registryManagement),
      QUARKUS_LOG_CONSOLE_JSON: 'false',
    };
    const jdk = requireJava(APICURIO_MIN_JAVA, "the fault suite's schema registry");
    mkdirSync(join(HOME, 'logs'), { recursive: true });
    const fd = openSync(logOf('registry'), 'a');
    this.registry = spawn(jdk.java, ['-Xms128m', '-Xmx384m', '-Dweir.faults=registry', '-jar', 'quarkus-run.jar'], {
      cwd: ensureApicurio(),
      env,
      stdio: ['ignore', fd, fd],
    });
    await waitUntil(() => registryConfig(this.settings.SCHEMA_REGISTRY_URL), {
      what: "the fault suite's schema registry",
      timeoutMs: 180_000,
      logFile: logOf('registry'),
    });
  }

  async killRegistry(): Promise<void> {
    const r = this.registry;
    if (!r || r.exitCode !== null || r.signalCode !== null) return;
    const exited = new Promise((res) => r.once('exit', res));
    r.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.killRedis();
    await this.killRegistry();
    for (const db of [this.postgres, this.registryPostgres]) {
      try {
        db.stop('fast');
      } catch {
        /* not running */
      }
    }
    await this.cluster.stopAll();
    netDown();
  }
}
