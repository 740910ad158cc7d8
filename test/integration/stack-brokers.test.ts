// `weir stack up --brokers 3` for real: three KRaft nodes, each broker and controller, in a
// throwaway project with its own stack folder and Kafka ports moved to 29092.. (the run's shared stack
// on 19092 is never touched; the registry, Postgres and Redis of this run are reused, as `stack up`
// does). A transactional round trip; a deployed topology's topics — retry tier and DLQ included —
// get replication factor 3 and min.insync.replicas 2 from the brokers' defaults; one node SIGKILLed,
// transactions still commit; a send-offsets call that librdkafka would leave waiting on the dead node
// (the group's coordinator) ends by fencing (src/kafka/overdue.ts); `stack down --purge` stops the
// other two and deletes the data.
import RdKafka from '@confluentinc/kafka-javascript';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CONNECTION_KEYS, parseEnvFile } from '../../src/config/connection.ts';
import { KafkaAdmin } from '../../src/kafka/admin.ts';
import { KafkaConsumer } from '../../src/kafka/consumer.ts';
import { KafkaProducer } from '../../src/kafka/producer.ts';
import { describeTopicConfigs } from '../../src/kafka/topic-configs.ts';
import { findJdks } from '../../src/stack/java.ts';
import { kafkaTransactionalRoundTrip } from '../../src/stack/probes.ts';
import { isAlive, isOurProcess, portOpen } from '../../src/stack/proc.ts';
import { leadershipMoved } from '../faults/placement.ts';
import { coordinatorPartition } from '../helpers/coordinator-partition.ts';
import { captureLogs } from '../helpers/log-capture.ts';
import { services, uniqueName } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';

const WEIR = fileURLToPath(new URL('../../bin/weir.js', import.meta.url));
// Below Linux's ephemeral range (32768–60999): at 39092 a node once failed to bind 39112 in CI, held by
// another test's outgoing connection.
const BASE = 29092; // node n: 29092 + 10(n-1) plain, +1 controller, +2 SCRAM
const NODES = [1, 2, 3].map((n) => ({ id: n, kafka: BASE + 10 * (n - 1), controller: BASE + 1 + 10 * (n - 1) }));
const BOOTSTRAP = NODES.map((n) => `127.0.0.1:${n.kafka}`).join(',');

const root = mkdtempSync(join(tmpdir(), 'weir-brokers-'));
const stackDir = join(root, 'stack');
const envFile = join(root, 'stack.env');
writeFileSync(join(root, 'package.json'), '{"name":"three-brokers","private":true}\n');

// This run's registry is reused only when it is the local stack's kind (127.0.0.1:<port>).
const registry = () => /^http:\/\/(127\.0\.0\.1|localhost):(\d+)\//.exec(services().SCHEMA_REGISTRY_URL);
const canRunKafka = () => {
  try {
    execFileSync('sh', ['-c', 'command -v mvn'], { stdio: 'ignore' });
  } catch {
    return false;
  }
  return findJdks().some((j) => j.major >= 17);
};

function weir(...args: string[]): Promise<{ code: number; out: string; err: string; seconds: number }> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of [...CONNECTION_KEYS, 'WEIR_ENV_FILE', 'WEIR_STACK_DIR']) delete env[k];
  for (const k of Object.keys(env)) if (k.startsWith('WEIR_KAFKA_') || k.startsWith('WEIR_SCRAM_')) delete env[k];
  Object.assign(env, {
    WEIR_STACK_DIR: stackDir,
    WEIR_ENV_FILE: envFile,
    WEIR_KAFKA_PORT: String(BASE),
    WEIR_KAFKA_CONTROLLER_PORT: String(BASE + 1),
    WEIR_KAFKA_SCRAM_PORT: String(BASE + 2),
    WEIR_REGISTRY_PORT: registry()?.[2],
    DATABASE_URL: services().DATABASE_URL,
    REDIS_URL: services().REDIS_URL,
  });
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [WEIR, ...args], { cwd: root, env, timeout: 300_000 }, (err, out, errOut) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errOut, seconds: (Date.now() - t0) / 1000 }),
    );
  });
}

const state = () =>
  JSON.parse(readFileSync(join(stackDir, 'state.json'), 'utf8')) as { started: Record<string, { pid: number; marker: string }> };

/** Replicas per partition, from the brokers' own metadata. */
async function replicaCounts(topics: string[]): Promise<Map<string, number[]>> {
  const client = RdKafka.AdminClient.create({ 'bootstrap.servers': BOOTSTRAP });
  try {
    const described = await new Promise<RdKafka.TopicDescription[]>((resolve, reject) =>
      client.describeTopics(topics, { timeout: 15_000 }, (err, d) => (err ? reject(err) : resolve(d))),
    );
    return new Map(described.map((d) => [d.name, d.partitions.map((p) => p.replicas.length)]));
  } finally {
    client.disconnect();
  }
}

const topology = (id: string) => `pipeline: b${id}
topics:
  in.${id}: { partitions: 2, value: json }
  out.${id}: { partitions: 2, value: json }
steps:
  copy-${id}:
    input: in.${id}
    map: "$"
    outputs: [out.${id}]
    retry: { delays: [1s] }
`;

afterAll(async () => {
  // Whatever happened above: no node of this test outlives it.
  if (existsSync(join(stackDir, 'state.json'))) await weir('stack', 'down', '--purge');
});

describe('weir stack up --brokers 3', { timeout: 600_000 }, () => {
  it.runIf(Boolean(registry()) && canRunKafka())(
    'three nodes: RF 3 / min ISR 2 topics, a node killed, transactions still commit',
    async () => {
      for (const n of NODES) expect(await portOpen(n.kafka), `port ${n.kafka} must be free for this test`).toBe(false);

      expect(await weir('stack', 'up', '--brokers', '2')).toMatchObject({
        code: 2,
        err: expect.stringContaining('--brokers must be one of 1, 3'),
      });

      const up = await weir('stack', 'up', '--brokers', '3', '--json');
      expect(up.code, up.err).toBe(0);
      process.stderr.write(`stack up --brokers 3: ${up.seconds} s\n`);
      const result = JSON.parse(up.out) as { brokers: number; services: Array<{ name: string; status: string; endpoint: string }> };
      expect(result.brokers).toBe(3);
      expect(result.services.filter((s) => s.name.startsWith('kafka'))).toEqual(
        NODES.map((n) => expect.objectContaining({ name: `kafka-${n.id}`, status: 'started', endpoint: `127.0.0.1:${n.kafka}` })),
      );
      const settings = parseEnvFile(readFileSync(envFile, 'utf8'));
      expect(settings.KAFKA_BOOTSTRAP_SERVERS).toBe(BOOTSTRAP);
      expect(settings.WEIR_SCRAM_BOOTSTRAP_SERVERS).toBe(NODES.map((n) => `127.0.0.1:${n.kafka + 2}`).join(','));
      for (const n of NODES) {
        const props = readFileSync(join(stackDir, 'kafka', `node-${n.id}`, 'server.properties'), 'utf8');
        expect(props).toContain(`node.id=${n.id}\n`);
        expect(props).toContain(`controller.quorum.voters=${NODES.map((m) => `${m.id}@127.0.0.1:${m.controller}`).join(',')}\n`);
      }

      // Switching the broker count on this data is refused, naming the reset; nothing is started.
      const mixed = await weir('stack', 'up', '--brokers', '1');
      expect(mixed.code).toBe(1);
      expect(mixed.err).toContain("this project's Kafka has 3 brokers");
      expect(mixed.err).toContain('`weir stack down --purge`');
      const pids = NODES.map((n) => state().started[`kafka-${n.id}`]!.pid);
      for (const pid of pids) expect(isAlive(pid)).toBe(true);

      await kafkaTransactionalRoundTrip(BOOTSTRAP);

      // Deploy sends no replication factor (the topology names none): the brokers' defaults apply.
      const id = uniqueName('b').replace(/[^a-z0-9]/g, '');
      const file = join(root, `pipeline-${id}.yaml`);
      writeFileSync(file, topology(id));
      const deploy = await weir('deploy', '--execute', file);
      expect(deploy.code, deploy.err).toBe(0);
      const topics = [`in.${id}`, `out.${id}`, `in.${id}.copy-${id}.retry.1s`, `in.${id}.copy-${id}.dlq`];
      const counts = await replicaCounts(topics);
      for (const t of topics) expect(counts.get(t), t).toEqual([3, 3]);
      const configs = await describeTopicConfigs({ bootstrapServers: BOOTSTRAP }, topics);
      for (const t of topics) expect(configs.get(t)?.get('min.insync.replicas'), t).toEqual({ value: '2', explicit: false });

      // A producer mid-way through its transactions for a group that node 1 coordinates: the first
      // transaction's send-offsets caches node 1 as the group's coordinator.
      const conn = { bootstrapServers: BOOTSTRAP };
      const { lines, logger } = captureLogs();
      const stuck = await KafkaProducer.connect(conn, { name: 'stuck', transactionalId: `stuck-${id}`, logger });
      await stuck.initTransactions(60_000);
      const offsetsTo = async (consumer: KafkaConsumer, timeoutMs: number) => {
        await stuck.beginTransaction();
        await stuck.send({ topic: `out.${id}`, partition: 0, key: null, value: Buffer.from('{"stuck":true}') });
        await stuck.sendOffsetsToTransaction([{ topic: `in.${id}`, partition: 0, offset: 1 }], consumer, timeoutMs);
      };
      const warm = await KafkaConsumer.connect(conn, { name: 'warm', groupId: `warm-${id}` });
      await offsetsTo(warm, 30_000); // creates __consumer_offsets
      await stuck.commitTransaction(30_000);
      await warm.disconnect();
      const admin0 = KafkaAdmin.create(conn);
      const leaders = await admin0.replicas(['__consumer_offsets']);
      const offsetsLeader = (group: string) =>
        leaders.find((r) => r.partition === coordinatorPartition('__consumer_offsets', group, leaders.length).partition)?.leader;
      const groupId = Array.from({ length: 100 }, (_, i) => `g-${id}-${i}`).find((g) => offsetsLeader(g) === 1)!;
      expect(groupId, 'a group that node 1 coordinates').toBeDefined();
      admin0.disconnect();
      const member = await KafkaConsumer.connect(conn, { name: 'member', groupId });
      await offsetsTo(member, 30_000);
      await stuck.commitTransaction(30_000);

      // SIGKILL node 1 — the first bootstrap address — by the pid its stack recorded, checked to be that node.
      const victim = state().started['kafka-1']!;
      expect(isOurProcess(victim.pid, `${stackDir}/kafka/node-1/server.properties`)).toBe(true);
      process.kill(victim.pid, 'SIGKILL');
      await waitFor(() => !isAlive(victim.pid), { what: 'node 1 to die', timeoutMs: 10_000 });
      const status = await weir('stack', 'status', '--json');
      expect(status.code).toBe(1);
      const nodes = (JSON.parse(status.out) as Array<{ name: string; status: string }>).filter((s) => s.name.startsWith('kafka'));
      expect(nodes.map((s) => `${s.name} ${s.status}`)).toEqual(['kafka-1 down', 'kafka-2 running', 'kafka-3 running']);

      // Once another node coordinates the group, librdkafka still waits for node 1 (confluentinc/
      // librdkafka#5456): seen here to outlast 90 s. The call must end at its timeout + 5 s grace +
      // the fencing, failing 'fenced' so that a step rejoins with new clients.
      // leadershipMoved asks a fresh admin client each time: one made before the kill kept asking node 1.
      const groupPartition = coordinatorPartition('__consumer_offsets', groupId, leaders.length);
      expect(await leadershipMoved(conn, groupPartition, 1), 'another node coordinates the group').toBe(true);
      const t0 = Date.now();
      const ended = await Promise.race([
        offsetsTo(member, 3_000).then(
          () => 'returned',
          (err: unknown) => err,
        ),
        new Promise((r) => setTimeout(() => r('still waiting after 45 s'), 45_000)),
      ]);
      process.stderr.write(
        `send-offsets with the group's coordinator dead: ${Date.now() - t0} ms, ${ended instanceof Error ? ended.message : String(ended)}\n`,
      );
      expect(ended).not.toBe('still waiting after 45 s');
      if (ended !== 'returned') expect(ended).toMatchObject({ kind: 'fenced' });
      expect(lines.map((l) => l.msg)).not.toContainEqual(expect.stringMatching(/could not fence/));
      await member.disconnect();
      await stuck.disconnect();

      // Two of three in sync meet min ISR 2: a transaction into the deployed topic commits, and the
      // probe's round trip (produce, commit, read_committed) passes on the two survivors.
      const producer = await KafkaProducer.connect({ bootstrapServers: BOOTSTRAP }, { name: 'brokers-test', transactionalId: `t-${id}` });
      try {
        await producer.initTransactions(60_000);
        await producer.beginTransaction();
        await producer.send({ topic: `in.${id}`, partition: 0, key: null, value: Buffer.from('{"after":"kill"}') });
        await producer.commitTransaction(60_000);
      } finally {
        await producer.disconnect();
      }
      await kafkaTransactionalRoundTrip(BOOTSTRAP);
      const admin = KafkaAdmin.create({ bootstrapServers: BOOTSTRAP });
      try {
        expect((await admin.offsets([{ topic: `in.${id}`, partition: 0 }], 'latest'))[0]!.offset).toBeGreaterThan(0);
      } finally {
        admin.disconnect();
      }

      const down = await weir('stack', 'down', '--purge', '--json');
      expect(down.code, down.err).toBe(0);
      process.stderr.write(`stack down --purge: ${down.seconds} s\n`);
      const stopped = (JSON.parse(down.out) as Array<{ name: string; status: string }>).filter((s) => s.name.startsWith('kafka'));
      // With node 1 dead, the first of the two left loses the controller quorum when it stops, and
      // the other's controlled shutdown may find no controller: past its grace, stack down kills it
      // (seen: kafka-2, the active controller, killed). Either way it is down (checked below).
      expect(stopped.map((s) => `${s.name} ${s.status}`)).toEqual([
        'kafka-1 untouched',
        expect.stringMatching(/^kafka-2 (stopped|killed)$/),
        expect.stringMatching(/^kafka-3 (stopped|killed)$/),
      ]);
      for (const pid of pids) expect(isAlive(pid)).toBe(false);
      for (const n of NODES) expect(await portOpen(n.kafka)).toBe(false);
      expect(existsSync(join(stackDir, 'kafka'))).toBe(false);
    },
  );
});
