// The local stack's Kafka nodes: server.properties for one node (unchanged from before --brokers)
// and for three combined-mode nodes, the bootstrap lists, and which broker count a project has.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaBootstrap, kafkaNodes, scramBootstrap, serverProperties } from '../../../src/stack/kafka-config.ts';
import { chooseBrokers, formattedBrokers, kafkaDown } from '../../../src/stack/kafka-cluster.ts';
import { formattedClusterId } from '../../../src/stack/kafka.ts';
import { stackPaths } from '../../../src/stack/paths.ts';
import { StackError } from '../../../src/stack/proc.ts';
import { readState } from '../../../src/stack/state.ts';
import { kafkaNodePorts, ports } from '../../../src/stack/versions.ts';

const props = (text: string) =>
  new Map(text.split('\n').flatMap((l) => (l && !l.startsWith('#') ? [l.split(/=(.*)/s).slice(0, 2) as [string, string]] : [])));

function project() {
  const root = mkdtempSync(join(tmpdir(), 'weir-brokers-'));
  writeFileSync(join(root, 'package.json'), '{}');
  return stackPaths(root, {});
}

// The single node's settings exactly as they were before --brokers existed (only the comment differs).
const SINGLE_NODE_BEFORE = (dataDir: string) => `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${ports.kafkaController}
listeners=PLAINTEXT://127.0.0.1:${ports.kafka},CONTROLLER://127.0.0.1:${ports.kafkaController},SASL_PLAINTEXT://127.0.0.1:${ports.kafkaScram}
advertised.listeners=PLAINTEXT://127.0.0.1:${ports.kafka},SASL_PLAINTEXT://127.0.0.1:${ports.kafkaScram}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
allow.everyone.if.no.acl.found=true
log.dirs=${dataDir}
num.partitions=1
default.replication.factor=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1`;

describe('Kafka server.properties', () => {
  it('one node: the settings of the single-node stack, unchanged (node 1, its own quorum, RF 1, min ISR 1)', () => {
    const p = project();
    const [node] = kafkaNodes(p, 1);
    expect(node).toMatchObject({ id: 1, name: 'kafka', home: p.kafkaHome, dataDir: join(p.kafkaHome, 'data'), log: p.log('kafka') });
    const text = serverProperties(node!, 1);
    const settings = text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .join('\n');
    expect(settings).toBe(SINGLE_NODE_BEFORE(node!.dataDir));
    expect(props(text).has('min.insync.replicas')).toBe(false); // the broker's default (1)
  });

  it('three nodes: each broker and controller, one static quorum of all three, own ports and data, RF 3 / min ISR 2', () => {
    const p = project();
    const nodes = kafkaNodes(p, 3);
    expect(nodes.map((n) => n.name)).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
    const voters = [1, 2, 3].map((id) => `${id}@127.0.0.1:${ports.kafkaController + (id - 1) * 10}`).join(',');
    for (const node of nodes) {
      const { kafka, kafkaController, kafkaScram } = node.ports;
      expect(node.ports).toEqual({
        kafka: ports.kafka + (node.id - 1) * 10,
        kafkaController: ports.kafkaController + (node.id - 1) * 10,
        kafkaScram: ports.kafkaScram + (node.id - 1) * 10,
      });
      expect(node.dataDir).toBe(join(p.kafkaHome, `node-${node.id}`, 'data'));
      expect(node.log).toBe(p.log(`kafka-${node.id}`));
      expect(Object.fromEntries(props(serverProperties(node, 3)))).toMatchObject({
        'process.roles': 'broker,controller',
        'node.id': String(node.id),
        'controller.quorum.voters': voters,
        listeners: `PLAINTEXT://127.0.0.1:${kafka},CONTROLLER://127.0.0.1:${kafkaController},SASL_PLAINTEXT://127.0.0.1:${kafkaScram}`,
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${kafka},SASL_PLAINTEXT://127.0.0.1:${kafkaScram}`,
        'log.dirs': node.dataDir,
        'default.replication.factor': '3',
        'min.insync.replicas': '2',
        'offsets.topic.replication.factor': '3',
        'transaction.state.log.replication.factor': '3',
        'transaction.state.log.min.isr': '2',
        'share.coordinator.state.topic.replication.factor': '3',
        'share.coordinator.state.topic.min.isr': '2',
        'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      });
    }
    expect(new Set(nodes.map((n) => n.marker)).size).toBe(3);
  });

  it('node 1 keeps the single node ports; the bootstrap lists name every node', () => {
    expect(kafkaNodePorts(1)).toEqual({ kafka: ports.kafka, kafkaController: ports.kafkaController, kafkaScram: ports.kafkaScram });
    expect(kafkaBootstrap(1)).toBe(`127.0.0.1:${ports.kafka}`);
    expect(kafkaBootstrap(3)).toBe(`127.0.0.1:${ports.kafka},127.0.0.1:${ports.kafka + 10},127.0.0.1:${ports.kafka + 20}`);
    expect(scramBootstrap(3)).toBe(`127.0.0.1:${ports.kafkaScram},127.0.0.1:${ports.kafkaScram + 10},127.0.0.1:${ports.kafkaScram + 20}`);
  });
});

describe('the broker count of a project', () => {
  const format = (dataDir: string, clusterId = 'abc') => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'meta.properties'), `#\nnode.id=1\nversion=1\ncluster.id=${clusterId}\n`);
  };

  it('is what is asked for on a fresh project, else 1', () => {
    const p = project();
    const st = readState(p.state);
    expect(formattedBrokers(p)).toBeUndefined();
    expect(chooseBrokers(p, st)).toBe(1);
    expect(chooseBrokers(p, st, 3)).toBe(3);
  });

  it('is remembered: a later `stack up` without --brokers keeps the formatted count', () => {
    const p = project();
    format(kafkaNodes(p, 3)[1]!.dataDir);
    expect(formattedBrokers(p)).toBe(3);
    expect(chooseBrokers(p, readState(p.state))).toBe(3);
    const q = project();
    const st = readState(q.state);
    st.state.kafkaBrokers = 3; // chosen, nothing formatted yet (the first start failed): another count may be asked for
    expect(chooseBrokers(q, st)).toBe(3);
    expect(chooseBrokers(q, st, 1)).toBe(1);
  });

  it('refuses to mix one and three brokers on one data dir, naming the reset', () => {
    for (const [formatted, asked] of [
      [1, 3],
      [3, 1],
    ] as const) {
      const p = project();
      format(kafkaNodes(p, formatted)[0]!.dataDir);
      const attempt = () => chooseBrokers(p, readState(p.state), asked);
      expect(attempt).toThrow(StackError);
      expect(attempt).toThrow(`this project's Kafka has ${formatted} broker`);
      expect(attempt).toThrow('`weir stack down --purge`');
      expect(chooseBrokers(p, readState(p.state), formatted)).toBe(formatted);
    }
  });

  it('`stack down --purge` deletes the Kafka data and the remembered count', async () => {
    const p = project();
    for (const node of kafkaNodes(p, 3)) format(node.dataDir);
    const st = readState(p.state);
    st.state.kafkaBrokers = 3;
    st.save();
    const reports = await kafkaDown(p, st, true);
    expect(reports.map((r) => r.name)).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
    expect(reports[0]!.detail).toContain(`Kafka data deleted (${p.kafkaHome})`);
    expect(formattedBrokers(p)).toBeUndefined();
    expect(readState(p.state).state.kafkaBrokers).toBeUndefined();
    expect(chooseBrokers(p, readState(p.state), 1)).toBe(1);
  });

  it("reads a node's cluster id from its meta.properties (every node is formatted with the same one)", () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'weir-meta-')), 'data');
    expect(formattedClusterId(dir)).toBeUndefined();
    format(dir, 'rDIKPlT7FUt1M-_pnVWkQw');
    expect(formattedClusterId(dir)).toBe('rDIKPlT7FUt1M-_pnVWkQw');
  });
});
