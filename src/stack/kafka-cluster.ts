// The local stack's Kafka as a whole — one node, or three with `weir stack up --brokers 3` (each
// broker and controller in one JVM; kafka-config.ts): which broker count a project's stack has,
// and starting, stopping and reporting all of its nodes.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureKafkaJars } from './artifacts.ts';
import { requireJava } from './java.ts';
import { BROKER_COUNTS, isBrokerCount, kafkaBootstrap, kafkaNodes, type BrokerCount, type KafkaNode } from './kafka-config.ts';
import { ensureScramUser, formattedClusterId, kafkaNodeService, newClusterId, type ClusterSetup } from './kafka.ts';
import { managedDown, managedStatus, managedUpTogether } from './managed.ts';
import type { StackPaths } from './paths.ts';
import { isOurProcess, portOpen, StackError } from './proc.ts';
import type { ServiceReport } from './report.ts';
import type { StateFile } from './state.ts';
import { KAFKA_MIN_JAVA, KAFKA_VERSION } from './versions.ts';

/** The broker count the project's Kafka data was formatted for, read from its layout on disk. */
export function formattedBrokers(p: StackPaths): BrokerCount | undefined {
  return BROKER_COUNTS.find((n) => kafkaNodes(p, n).some((node) => existsSync(join(node.dataDir, 'meta.properties'))));
}

const isRunning = (st: StateFile, node: KafkaNode) => {
  const mine = st.state.started[node.name];
  return isOurProcess(mine?.pid, mine?.marker ?? node.marker);
};

/**
 * The broker count of this run: the one asked for, else the one the project's stack has (its data
 * on disk, else the count remembered in the state file), else 1. Asking for another count than the
 * data was formatted for is refused: the two layouts must never mix.
 */
export function chooseBrokers(p: StackPaths, st: StateFile, requested?: BrokerCount): BrokerCount {
  const remembered = isBrokerCount(st.state.kafkaBrokers) ? st.state.kafkaBrokers : undefined;
  const current = formattedBrokers(p) ?? (remembered && kafkaNodes(p, remembered).some((n) => isRunning(st, n)) ? remembered : undefined);
  if (requested === undefined) return current ?? remembered ?? 1;
  if (current !== undefined && current !== requested) {
    const has = `${current} broker${current === 1 ? '' : 's'}`;
    throw new StackError(
      `this project's Kafka has ${has} (its data: ${p.kafkaHome}); --brokers ${requested} would mix two clusters. ` +
        `To switch, run \`weir stack down --purge\` (stops the stack and deletes this Kafka data: every topic, offset and transaction), ` +
        `then \`weir stack up --brokers ${requested}\`; or keep it with \`weir stack up --brokers ${current}\`.`,
    );
  }
  return requested;
}

/**
 * A cluster is all ours or all someone else's (another project's stack, reused): a foreign Kafka on
 * some of the ports would join nothing, and the bootstrap list would name two clusters.
 */
async function refuseMixedCluster(nodes: KafkaNode[], st: StateFile): Promise<void> {
  const foreign: KafkaNode[] = [];
  for (const node of nodes) if (!isRunning(st, node) && (await portOpen(node.ports.kafka))) foreign.push(node);
  if (foreign.length === 0 || foreign.length === nodes.length) return;
  throw new StackError(
    `port${foreign.length > 1 ? 's' : ''} ${foreign.map((n) => n.ports.kafka).join(', ')} of this ${nodes.length}-broker stack ` +
      `${foreign.length > 1 ? 'are' : 'is'} held by a program this project's stack did not start; stop it, ` +
      'or move all the ports with WEIR_KAFKA_PORT, WEIR_KAFKA_CONTROLLER_PORT and WEIR_KAFKA_SCRAM_PORT',
  );
}

export interface KafkaUp {
  reports: ServiceReport[];
  /** Adds the SCRAM user to an old single-node data dir; call once the cluster answers. */
  finishSetup(): void;
}

/** Starts the nodes that are not running, all before waiting for any (a quorum needs a majority). */
export async function kafkaUp(p: StackPaths, st: StateFile, brokers: BrokerCount, progress: (line: string) => void): Promise<KafkaUp> {
  const nodes = kafkaNodes(p, brokers);
  if (brokers > 1) await refuseMixedCluster(nodes, st);
  let setup: ClusterSetup | undefined;
  const getSetup = () =>
    (setup ??= {
      java: requireJava(KAFKA_MIN_JAVA, `Apache Kafka ${KAFKA_VERSION}`).java,
      libs: ensureKafkaJars({ cache: p.cache, log: p.log('maven'), progress }),
      // Every node is formatted with one cluster id: that of a node formatted earlier, else a new one.
      clusterId: nodes.map((n) => formattedClusterId(n.dataDir)).find((id) => id !== undefined) ?? newClusterId(),
    });
  const services = nodes.map((n) => kafkaNodeService(n, brokers, getSetup));
  st.state.kafkaBrokers = brokers;
  const reports = await managedUpTogether(services, st);
  return {
    reports,
    finishSetup() {
      // Multi-node data dirs are always formatted with the SCRAM user; single-node ones from before it existed are not.
      if (!setup || !services[0]!.startedOnOldData || brokers !== 1) return;
      ensureScramUser(nodes[0]!.home, setup.java, setup.libs, nodes[0]!.log, kafkaBootstrap(brokers));
      services[0]!.startedOnOldData = false;
    },
  };
}

const noSetup = (): ClusterSetup => {
  throw new Error('a node is only started by kafkaUp');
};

/**
 * Stops every node this project's stack started (in parallel: a node stopped last would wait for
 * a quorum that is gone). `purge` then deletes the Kafka data, so the next `up` formats anew.
 */
export async function kafkaDown(p: StackPaths, st: StateFile, purge: boolean): Promise<ServiceReport[]> {
  const brokers = chooseBrokers(p, st);
  const nodes = kafkaNodes(p, brokers);
  // Nodes of the other layout still on record (a state file edited by hand, an interrupted switch).
  const stray = BROKER_COUNTS.filter((n) => n !== brokers)
    .flatMap((n) => kafkaNodes(p, n))
    .filter((n) => st.state.started[n.name] && !nodes.some((m) => m.name === n.name));
  const reports = await Promise.all([...nodes, ...stray].map((n) => managedDown(kafkaNodeService(n, brokers, noSetup), st)));
  if (purge) {
    rmSync(p.kafkaHome, { recursive: true, force: true });
    delete st.state.kafkaBrokers;
    st.save();
    const first = reports[0]!;
    first.detail = `${first.detail ? `${first.detail}; ` : ''}Kafka data deleted (${p.kafkaHome})`;
  }
  return reports;
}

export async function kafkaStatus(p: StackPaths, st: StateFile): Promise<ServiceReport[]> {
  const brokers = chooseBrokers(p, st);
  return Promise.all(kafkaNodes(p, brokers).map((n) => managedStatus(kafkaNodeService(n, brokers, noSetup), st)));
}
