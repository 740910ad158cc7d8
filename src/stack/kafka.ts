// One Kafka node of the local stack (KRaft, broker and controller in one JVM; see kafka-config.ts):
// its storage formatted with the cluster's id and the SCRAM user, then `kafka.Kafka server.properties`.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG4J2, serverProperties, type BrokerCount, type KafkaNode } from './kafka-config.ts';
import type { ManagedService } from './managed.ts';
import { kafkaMetadata } from './probes.ts';
import { portOpen, startDetached, StackError } from './proc.ts';
import { KAFKA_NODE_PORT_STEP, SCRAM } from './versions.ts';

/** What every node of a cluster starts with: the JDK, Kafka's jars, the one cluster id. */
export interface ClusterSetup {
  java: string;
  libs: string;
  clusterId: string;
}

const scramUser = `${SCRAM.mechanism}=[name=${SCRAM.username},password=${SCRAM.password}]`;

/**
 * A random cluster id in Kafka's format (16 bytes, unpadded base64url). One in 64 such ids starts
 * with '-', which `kafka-storage format -t` reads as an option ("expected one argument") and fails;
 * Kafka's own Uuid.randomUuid() skips those for the same reason, so we do too.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The cluster id a formatted data dir belongs to (its meta.properties), else undefined. */
export function formattedClusterId(dataDir: string): string | undefined {
  const meta = join(dataDir, 'meta.properties');
  if (!existsSync(meta)) return undefined;
  return /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'))?.[1]?.trim();
}

function runTool(java: string, home: string, libs: string, args: string[], log: string, failure: string): void {
  try {
    const out = execFileSync(java, [`-Dlog4j2.configurationFile=${join(home, 'log4j2.yaml')}`, '-cp', `${libs}/*`, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    writeFileSync(log, out, { flag: 'a' });
  } catch (err) {
    writeFileSync(log, String((err as { stderr?: string }).stderr ?? err), { flag: 'a' });
    throw new StackError(failure, log);
  }
}

/** Adds the SCRAM user to a cluster formatted without it (data dirs from before the listener existed). */
export function ensureScramUser(kafkaHome: string, java: string, libs: string, log: string, bootstrap: string): void {
  const args = ['kafka.admin.ConfigCommand', '--bootstrap-server', bootstrap, '--alter', '--add-config'];
  args.push(`${SCRAM.mechanism}=[password=${SCRAM.password}]`, '--entity-type', 'users', '--entity-name', SCRAM.username);
  runTool(java, kafkaHome, libs, args, log, 'adding the SCRAM test user failed');
}

/** Writes the node's configuration; formats its storage unless already formatted. */
export function prepare(node: KafkaNode, brokers: BrokerCount, setup: ClusterSetup): { props: string; formatted: boolean } {
  const props = join(node.home, 'server.properties');
  mkdirSync(node.dataDir, { recursive: true });
  writeFileSync(props, serverProperties(node, brokers));
  writeFileSync(join(node.home, 'log4j2.yaml'), LOG4J2);
  const existing = formattedClusterId(node.dataDir);
  if (existing !== undefined && existing !== setup.clusterId) {
    throw new StackError(
      `${node.dataDir} belongs to Kafka cluster ${existing}, the other nodes to ${setup.clusterId}; ` +
        'reset the stack with `weir stack down --purge`',
    );
  }
  if (existing !== undefined) return { props, formatted: false };
  // A static quorum (controller.quorum.voters): every node is formatted alike, with the same id.
  const args = ['kafka.tools.StorageTool', 'format', `--cluster-id=${setup.clusterId}`, '-c', props, '--add-scram', scramUser];
  runTool(setup.java, node.home, setup.libs, args, node.log, 'formatting the Kafka storage directory failed');
  return { props, formatted: true };
}

export interface KafkaNodeService extends ManagedService {
  /** True once start() ran on a data dir formatted by an earlier run (it may lack the SCRAM user). */
  startedOnOldData: boolean;
}

export function kafkaNodeService(node: KafkaNode, brokers: BrokerCount, setup: () => ClusterSetup): KafkaNodeService {
  const endpoint = `127.0.0.1:${node.ports.kafka}`;
  const svc: KafkaNodeService = {
    name: node.name,
    endpoint,
    port: node.ports.kafka,
    marker: node.marker,
    log: node.log,
    probe: () => kafkaMetadata(endpoint),
    readyTimeoutMs: brokers === 1 ? 90_000 : 150_000,
    portHint:
      node.id === 1
        ? 'stop it or choose another port with WEIR_KAFKA_PORT'
        : `stop it or move the ports with WEIR_KAFKA_PORT (node ${node.id} uses node 1's plus ${(node.id - 1) * KAFKA_NODE_PORT_STEP})`,
    startedOnOldData: false,
    start: async () => {
      if (await portOpen(node.ports.kafkaController)) {
        throw new StackError(
          `port ${node.ports.kafkaController} (controller of Kafka node ${node.id}) is in use; stop that program or move the ports with WEIR_KAFKA_CONTROLLER_PORT`,
        );
      }
      const s = setup();
      const { props, formatted } = prepare(node, brokers, s);
      svc.startedOnOldData = !formatted;
      // Three JVMs share the machine: each gets half the heap of a single node.
      const heap = brokers === 1 ? ['-Xms256m', '-Xmx1g'] : ['-Xms128m', '-Xmx512m'];
      const jvm = [...heap, '-XX:+UseG1GC', node.marker, `-Dlog4j2.configurationFile=${join(node.home, 'log4j2.yaml')}`];
      return startDetached(s.java, [...jvm, '-cp', `${s.libs}/*`, 'kafka.Kafka', props], { logFile: node.log });
    },
  };
  return svc;
}
