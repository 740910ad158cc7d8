// Readiness probes: each proves the service really answers, not just that a port is open.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { KafkaAdmin } from '../kafka/admin.ts';
import { KafkaConsumer } from '../kafka/consumer.ts';
import { KafkaProducer } from '../kafka/producer.ts';

const PROBE_TOPIC = '__weir_probe';

/** Cluster metadata answers: the broker is up and reachable. */
export async function kafkaMetadata(bootstrapServers: string): Promise<true> {
  const admin = KafkaAdmin.create({ bootstrapServers }, 5_000);
  try {
    await admin.listTopics();
    return true;
  } finally {
    admin.disconnect();
  }
}

/**
 * A transaction commits and a read_committed consumer reads it back: proves the transaction
 * coordinator, __transaction_state and read_committed fetches all work on this cluster.
 */
/**
 * The probe topic's end offset. Right after CreateTopics the admin client may not know the topic
 * yet (ERR__NOENT, "No such entry": seen in CI on a freshly started broker): ask again until it does.
 */
async function startOffset(admin: KafkaAdmin, deadline: number): Promise<{ offset: number } | undefined> {
  for (;;) {
    try {
      return (await admin.offsets([{ topic: PROBE_TOPIC, partition: 0 }], 'latest'))[0];
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function kafkaTransactionalRoundTrip(bootstrapServers: string, timeoutMs = 60_000): Promise<true> {
  const conn = { bootstrapServers, clientId: 'weir-stack-probe' };
  const admin = KafkaAdmin.create(conn, timeoutMs);
  let producer: KafkaProducer | undefined;
  let consumer: KafkaConsumer | undefined;
  try {
    await admin.createTopics([{ name: PROBE_TOPIC, partitions: 1, config: { 'retention.ms': '3600000' } }]);
    const start = await startOffset(admin, Date.now() + timeoutMs);
    producer = await KafkaProducer.connect(conn, { name: 'probe', transactionalId: 'weir-stack-probe' });
    await producer.initTransactions(timeoutMs);
    await producer.beginTransaction();
    const nonce = randomUUID();
    await producer.send({ topic: PROBE_TOPIC, partition: 0, key: null, value: Buffer.from(nonce) });
    await producer.commitTransaction(timeoutMs);
    consumer = await KafkaConsumer.connect(conn, { name: 'probe', groupId: `weir-probe-${nonce}`, isolation: 'read_committed' });
    consumer.assign([{ topic: PROBE_TOPIC, partition: 0, offset: start?.offset ?? 0 }]);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const records = await consumer.consume(100, 1_000);
      if (records.some((r) => r.value?.toString() === nonce)) return true;
    }
    throw new Error('the committed probe record was not readable with read_committed');
  } finally {
    await consumer?.disconnect();
    await producer?.disconnect();
    admin.disconnect();
  }
}

/** The Confluent-compatible API answers with a compatibility level. */
export async function registryConfig(url: string): Promise<string> {
  const res = await fetch(`${url.replace(/\/$/, '')}/config`, { signal: AbortSignal.timeout(3_000) });
  if (!res.ok) throw new Error(`GET ${url}/config answered ${res.status}`);
  const body = (await res.json()) as { compatibilityLevel?: string };
  if (!body.compatibilityLevel) throw new Error(`GET ${url}/config gave no compatibilityLevel`);
  return body.compatibilityLevel;
}

export async function postgresSelect1(url: string): Promise<true> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  // A server that goes away mid-probe (a restart) also emits 'error' besides failing the query.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function redisPing(url: string): Promise<true> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
    return true;
  } finally {
    redis.disconnect();
  }
}
