// The fault suite's Kafka cluster: three KRaft nodes, each broker and controller in one JVM
// (combined mode: three JVMs, not six, on a 2-core machine), each in a network namespace of its own
// (network.ts) so one can be killed, frozen or cut off from the others. Production settings for
// durability: replication factor 3 and min.insync.replicas 2 for every topic, the offsets and the
// transaction state logs included — a topic stays writable with one node down.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newClusterId } from '../../src/stack/kafka.ts';
import { LOG4J2 } from '../../src/stack/kafka-config.ts';
import { kafkaMetadata } from '../../src/stack/probes.ts';
import { waitUntil } from '../../src/stack/proc.ts';
import { host, inHost, type Host } from './network.ts';

export const NODE_IDS = [1, 2, 3] as const;
const CLIENT_PORT = 9092;
const CONTROLLER_PORT = 9093;
export const TRANSACTION_STATE_PARTITIONS = 6;

export const brokerHost = (id: number): Host => host(`b${id}`, 10 + id);
const endpoint = (id: number) => `${brokerHost(id).ip}:${CLIENT_PORT}`;
const voters = NODE_IDS.map((id) => `${id}@${brokerHost(id).ip}:${CONTROLLER_PORT}`).join(',');

function properties(id: number, dataDir: string): string {
  const ip = brokerHost(id).ip;
  return `process.roles=broker,controller
node.id=${id}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://${ip}:${CLIENT_PORT},CONTROLLER://${ip}:${CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${ip}:${CLIENT_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${dataDir}
auto.create.topics.enable=false
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
transaction.state.log.num.partitions=${TRANSACTION_STATE_PARTITIONS}
group.initial.rebalance.delay.ms=0
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
`;
}

export class FaultCluster {
  private readonly nodes = new Map<number, ChildProcess>();

  constructor(
    private readonly home: string,
    private readonly java: string,
    private readonly libs: string,
    private readonly logOf: (name: string) => string,
  ) {}

  readonly bootstrap = NODE_IDS.map(endpoint).join(',');
  readonly hosts = NODE_IDS.map(brokerHost);
  /** The bootstrap list without one node: to ask the others while it is frozen or cut off. */
  bootstrapWithout = (id: number): string =>
    NODE_IDS.filter((n) => n !== id)
      .map(endpoint)
      .join(',');

  /** Formats every node's storage with one cluster id (the namespaces must exist). */
  format(): void {
    const clusterId = newClusterId();
    mkdirSync(this.home, { recursive: true });
    writeFileSync(join(this.home, 'log4j2.yaml'), LOG4J2);
    for (const id of NODE_IDS) {
      const dir = join(this.home, `node-${id}`);
      mkdirSync(join(dir, 'data'), { recursive: true });
      writeFileSync(join(dir, 'server.properties'), properties(id, join(dir, 'data')));
      execFileSync(
        this.java,
        ['-cp', `${this.libs}/*`, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', join(dir, 'server.properties')],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    }
  }

  async startAll(): Promise<void> {
    await Promise.all(NODE_IDS.map((id) => this.start(id)));
  }

  /** Starts node `id` in its namespace and waits until it answers metadata requests. */
  async start(id: number): Promise<void> {
    const dir = join(this.home, `node-${id}`);
    mkdirSync(join(this.home, '..', 'logs'), { recursive: true });
    const fd = openSync(this.logOf(`kafka-${id}`), 'a');
    const jvm = [
      '-Xms192m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      `-Dweir.faults=kafka-${id}`,
      `-Dlog4j2.configurationFile=${join(this.home, 'log4j2.yaml')}`,
    ];
    const [cmd, ...prefix] = inHost(brokerHost(id));
    const proc = spawn(cmd!, [...prefix, this.java, ...jvm, '-cp', `${this.libs}/*`, 'kafka.Kafka', join(dir, 'server.properties')], {
      stdio: ['ignore', fd, fd],
    });
    this.nodes.set(id, proc);
    await waitUntil(() => kafkaMetadata(endpoint(id)), {
      what: `the fault suite's Kafka node ${id}`,
      timeoutMs: 180_000,
      logFile: this.logOf(`kafka-${id}`),
    });
  }

  running(id: number): boolean {
    const p = this.nodes.get(id);
    return !!p && p.exitCode === null && p.signalCode === null;
  }

  /** SIGKILL: no controlled shutdown; the next start recovers the logs and catches up. */
  async kill(id: number): Promise<void> {
    const p = this.nodes.get(id);
    if (!p || !this.running(id)) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGCONT');
    p.kill('SIGKILL');
    await exited;
  }

  freeze(id: number): void {
    this.nodes.get(id)?.kill('SIGSTOP');
  }

  thaw(id: number): void {
    this.nodes.get(id)?.kill('SIGCONT');
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      NODE_IDS.map(async (id) => {
        const p = this.nodes.get(id);
        if (!p || !this.running(id)) return;
        const exited = new Promise((r) => p.once('exit', r));
        p.kill('SIGCONT');
        p.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        p.kill('SIGKILL');
      }),
    );
  }

  /**
   * The active controller: the node that last became it, at the highest epoch, by the nodes' logs
   * (KRaft's describeCluster names a random broker as "controller", and the quorum tool is not in
   * the server jars).
   */
  activeController(): { id: number; epoch: number } {
    let best = { id: -1, epoch: -1 };
    for (const id of NODE_IDS) {
      const log = existsSync(this.logOf(`kafka-${id}`)) ? readFileSync(this.logOf(`kafka-${id}`), 'utf8') : '';
      for (const m of log.matchAll(/Becoming the active controller at epoch (\d+)/g)) {
        if (Number(m[1]) > best.epoch) best = { id, epoch: Number(m[1]) };
      }
    }
    if (best.id < 0) throw new Error('no node has logged becoming the active controller yet');
    return best;
  }
}
