// A private Kafka broker, Postgres server and Redis server for the fault suite: it kills, freezes
// and restarts them, which it must never do to the shared stack other tests (and the schema
// registry, stored in the shared Postgres) rely on. The registry itself is shared: no fault here
// touches it. Everything lives under $TMPDIR/weir-faults and is recreated per run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ensureKafkaJars } from '../../src/stack/artifacts.ts';
import { newClusterId } from '../../src/stack/kafka.ts';
import { requireJava } from '../../src/stack/java.ts';
import { kafkaMetadata, postgresSelect1, redisPing } from '../../src/stack/probes.ts';
import { portOpen, waitUntil } from '../../src/stack/proc.ts';
import { KAFKA_MIN_JAVA } from '../../src/stack/versions.ts';

const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const FAULT_PORTS = {
  kafka: port('WEIR_FAULTS_KAFKA_PORT', 29092),
  controller: port('WEIR_FAULTS_KAFKA_CONTROLLER_PORT', 29093),
  postgres: port('WEIR_FAULTS_POSTGRES_PORT', 25432),
  redis: port('WEIR_FAULTS_REDIS_PORT', 26379),
};
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
    if (cmdline.includes(HOME) || cmdline.includes(`redis-server 127.0.0.1:${FAULT_PORTS.redis}`)) process.kill(Number(pid), 'SIGKILL');
  }
}

/** Postgres refuses to run as root: as root, its programs run as the `postgres` user. */
function asPostgres(args: string[]): [string, string[]] {
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0]!, args.slice(1)];
}

function postgresBin(): string {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    const root = '/usr/lib/postgresql';
    const v = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a))[0] : undefined;
    if (!v)
      throw new Error('the fault suite runs its own Postgres server and needs its programs (initdb, pg_ctl): apt-get install postgresql');
    return join(root, v, 'bin');
  }
}

const brokerProperties = (dataDir: string) => `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${FAULT_PORTS.controller}
listeners=PLAINTEXT://127.0.0.1:${FAULT_PORTS.kafka},CONTROLLER://127.0.0.1:${FAULT_PORTS.controller}
advertised.listeners=PLAINTEXT://127.0.0.1:${FAULT_PORTS.kafka}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${dataDir}
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
group.initial.rebalance.delay.ms=0
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
`;

export class FaultStack {
  private broker: ChildProcess | undefined;
  private redis: ChildProcess | undefined;
  private readonly java = requireJava(KAFKA_MIN_JAVA, "the fault suite's Kafka broker");
  private readonly libs = ensureKafkaJars();
  private readonly pgBin = postgresBin();
  private readonly pgData = join(HOME, 'postgres');

  readonly settings = {
    KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${FAULT_PORTS.kafka}`,
    DATABASE_URL: `postgres://postgres@127.0.0.1:${FAULT_PORTS.postgres}/postgres`,
    REDIS_URL: `redis://127.0.0.1:${FAULT_PORTS.redis}`,
  };

  /** Fresh data for all three, then starts them and waits until each answers. */
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
    mkdirSync(join(HOME, 'kafka', 'data'), { recursive: true });
    const props = join(HOME, 'kafka', 'server.properties');
    writeFileSync(props, brokerProperties(join(HOME, 'kafka', 'data')));
    execFileSync(
      this.java.java,
      ['-cp', `${this.libs}/*`, 'kafka.tools.StorageTool', 'format', `--cluster-id=${newClusterId()}`, '-c', props],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    ); // stderr goes into the error
    mkdirSync(this.pgData, { recursive: true });
    if (userInfo().uid === 0)
      chownSync(
        this.pgData,
        Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
        Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
      );
    const [cmd, args] = asPostgres([join(this.pgBin, 'initdb'), '-D', this.pgData, '-U', 'postgres', '-A', 'trust', '--no-sync']);
    execFileSync(cmd, args, { stdio: 'ignore' });
    await Promise.all([this.startBroker(), this.startPostgres(), this.startRedis()]);
  }

  async startBroker(): Promise<void> {
    const jvm = [
      '-Xms256m',
      '-Xmx768m',
      '-XX:+UseG1GC',
      '-Dweir.faults=kafka',
      '-cp',
      `${this.libs}/*`,
      'kafka.Kafka',
      join(HOME, 'kafka', 'server.properties'),
    ];
    this.broker = spawnLogged('kafka', this.java.java, jvm);
    await waitUntil(() => kafkaMetadata(this.settings.KAFKA_BOOTSTRAP_SERVERS), {
      what: "the fault suite's broker",
      timeoutMs: 120_000,
      logFile: logOf('kafka'),
    });
  }

  /** SIGKILL: no controlled shutdown, the next start recovers the logs. */
  async killBroker(): Promise<void> {
    const b = this.broker;
    if (!b || b.exitCode !== null || b.signalCode !== null) return;
    const exited = new Promise((r) => b.once('exit', r));
    b.kill('SIGKILL');
    await exited;
  }

  freezeBroker(): void {
    this.broker?.kill('SIGSTOP');
  }

  thawBroker(): void {
    this.broker?.kill('SIGCONT');
  }

  async startPostgres(): Promise<void> {
    const [cmd, args] = asPostgres([
      join(this.pgBin, 'pg_ctl'),
      '-D',
      this.pgData,
      '-l',
      logOf('postgres'),
      '-w',
      '-o',
      `-p ${FAULT_PORTS.postgres} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.pgData} -c fsync=off -c max_connections=200`,
      'start',
    ]);
    mkdirSync(join(HOME, 'logs'), { recursive: true });
    if (userInfo().uid === 0) execFileSync('chmod', ['a+rwx', join(HOME, 'logs')]);
    execFileSync(cmd, args, { stdio: 'ignore' });
    await waitUntil(() => postgresSelect1(this.settings.DATABASE_URL), {
      what: "the fault suite's Postgres",
      timeoutMs: 60_000,
      logFile: logOf('postgres'),
    });
  }

  /** Immediate shutdown: like a crash, every session cut, recovery from the WAL on start. */
  stopPostgres(mode: 'immediate' | 'fast' = 'immediate'): void {
    const [cmd, args] = asPostgres([join(this.pgBin, 'pg_ctl'), '-D', this.pgData, '-m', mode, '-w', 'stop']);
    execFileSync(cmd, args, { stdio: 'ignore' });
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

  async stop(): Promise<void> {
    this.thawBroker();
    await this.killRedis();
    try {
      this.stopPostgres('fast');
    } catch {
      /* not running */
    }
    const b = this.broker;
    if (b && b.exitCode === null && b.signalCode === null) {
      const exited = new Promise((r) => b.once('exit', r));
      b.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      b.kill('SIGKILL');
    }
  }
}
