// The librdkafka-backed KafkaClients: what `weir run` gives its workers.
import { KafkaAdmin } from './admin.ts';
import type { KafkaConnection } from './client-config.ts';
import { isKafkaError, isRefusal, KafkaError } from './errors.ts';
import { KafkaConsumer } from './consumer.ts';
import type { KafkaClients } from './ports.ts';
import { KafkaProducer } from './producer.ts';
import { readToEnd } from './reader.ts';

export function rdkafkaClients(conn: KafkaConnection): KafkaClients {
  // One admin connection for the lag reports of every worker of the process, made on first use.
  let admin: KafkaAdmin | undefined;
  const sharedAdmin = () => (admin ??= KafkaAdmin.create(conn, 10_000));
  return {
    consumer: (opts) =>
      KafkaConsumer.connect(conn, {
        name: opts.name,
        groupId: opts.groupId,
        isolation: opts.isolation,
        manualRebalance: true,
        sessionTimeoutMs: opts.sessionTimeoutMs,
        ...(opts.logger ? { logger: opts.logger } : {}),
        extra: { ...(opts.groupInstanceId ? { 'group.instance.id': opts.groupInstanceId } : {}), ...(opts.extra ?? {}) },
      }),
    producer: (opts) =>
      KafkaProducer.connect(conn, {
        name: opts.name,
        ...(opts.transactionalId !== undefined
          ? { transactionalId: opts.transactionalId, transactionTimeoutMs: opts.transactionTimeoutMs ?? 60_000 }
          : {}),
        ...(opts.logger ? { logger: opts.logger } : {}),
        ...(opts.extra ? { extra: opts.extra } : {}),
      }),
    endOffsets: (partitions) => sharedAdmin().offsets(partitions, 'latest'),
    async untilStable(partitions, timeoutMs) {
      const own = KafkaAdmin.create(conn);
      try {
        await own.untilStable(partitions, timeoutMs).catch(transient('untilStable'));
      } finally {
        own.disconnect();
      }
    },
    async readToEnd(partitions, onRecord) {
      const topics = [...new Set(partitions.map((p) => p.topic))];
      await readToEnd(conn, topics, { partitions, onRecord }).catch(transient('readToEnd'));
    },
    async close() {
      admin?.disconnect();
      admin = undefined;
    },
  };
}

/**
 * The worker reads the ordered-retry state with admin calls and a reader of its own: unless the
 * cluster refuses us, their failures (a broker restarting, a read that did not reach the end in
 * time) are transient for the worker — it rejoins and reads again — whatever an admin tool would
 * make of them.
 */
const transient =
  (operation: string) =>
  (err: unknown): never => {
    if (isKafkaError(err) && (err.kind !== 'fatal' || isRefusal(err.code))) throw err;
    throw new KafkaError('retriable', operation, isKafkaError(err) ? err.code : undefined, (err as Error)?.message ?? String(err));
  };
