// Wiring for `weir run`: one worker per chosen step, with the sink, rate limiter and connections it
// needs. Kafka-output steps and HTTP sinks run the pipelined step worker; Postgres sinks run the
// sink worker with offsets in Postgres.
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { redactUrl } from '../config/redact.ts';
import type { Logger } from '../observability/logger.ts';
import { metrics, stepLabels } from '../observability/metrics.ts';
import type { KafkaConnection } from '../kafka/client-config.ts';
import { LocalBucket, RedisBucket } from '../ratelimit/bucket.ts';
import { RateLimiter } from '../ratelimit/limiter.ts';
import { KafkaAdmin } from '../kafka/admin.ts';
import { rdkafkaClients } from '../kafka/clients.ts';
import { describeTopicConfigs } from '../kafka/topic-configs.ts';
import { Worker, type WorkerDeps } from '../runtime/worker.ts';
import { testHooksFromEnv } from './test-hooks.ts';
import { schemaFile } from '../schema/codecs.ts';
import type { RegistryClient } from '../schema/registry.ts';
import { AvroSerde } from '../schema/serde.ts';
import { httpSender } from '../sinks/http.ts';
import { PostgresSink } from '../sinks/postgres/sink.ts';
import type { WriteStrategy } from '../sinks/postgres/write.ts';
import type { Plan, PlannedStep } from '../topology/plan.ts';

export interface RunOptions {
  plan: Plan;
  root: string;
  /** Step names (none: no worker here); default: every step of the plan. */
  steps?: string[];
  kafka: KafkaConnection;
  registry: RegistryClient;
  logger: Logger;
  databaseUrl?: string;
  redisUrl?: string;
  instanceId?: string;
  /** The instance id is stable across restarts (the operator gave it): join as a static member. */
  staticMembership?: boolean;
  sessionTimeoutMs?: number;
  /** How long the start waits for the database (WEIR_CONNECT_TIMEOUT; the cluster's is in `kafka`). */
  connectTimeoutMs?: number;
  /** An input partition with lag and no commit for this long is stalled. */
  stallAfterMs?: number;
  /** Identical aborts of a batch before its records go one per transaction. */
  isolateAfter?: number;
  delivery?: 'exactly-once' | 'at-least-once';
  postgresWrite?: WriteStrategy;
}

export interface Running {
  workers: Worker[];
  /** Resolves with the first worker that stopped with a failure (it cannot recover: `weir run` exits). */
  failed: Promise<Worker>;
  stop(): Promise<void>;
}

export function defaultInstanceId(): string {
  return process.env.WEIR_INSTANCE_ID || `${hostname()}-${process.pid}`;
}

export function selectSteps(plan: Plan, names: string[] | undefined): PlannedStep[] {
  if (names === undefined) return [...plan.steps];
  return names.map((n) => {
    const s = plan.steps.find((x) => x.name === n);
    if (!s) throw new Error(`no step named ${n}; the plan has: ${plan.steps.map((x) => x.name).join(', ')}`);
    return s;
  });
}

function needsRedis(step: PlannedStep): boolean {
  return step.rateLimit?.scope === 'redis' || (step.http?.deliveryRecordTtlMs ?? null) !== null;
}

/** How long `weir run` waits for the cluster's first answer before it gives up (default; WEIR_CONNECT_TIMEOUT sets it). */
const STARTUP_PROBE_MS = 15_000;

function limiterFor(step: PlannedStep, redis: Redis | undefined, log: Logger): RateLimiter | undefined {
  const rl = step.rateLimit;
  if (!rl) return undefined;
  const bucket =
    rl.scope === 'redis'
      ? new RedisBucket(redis!, `weir:ratelimit:${step.pipeline}:${step.name}`, rl.perSecond, rl.burst)
      : new LocalBucket(rl.perSecond, rl.burst);
  let lastLog = 0;
  return new RateLimiter(bucket, {
    perSecond: rl.perSecond,
    burst: rl.burst,
    onRedisDown: rl.onRedisDown,
    onWait: (ms) => void metrics.rateLimitWaitSeconds.inc(stepLabels(step), ms / 1000),
    onRedisError: (err) => {
      metrics.rateLimitRedisErrors.inc(stepLabels(step));
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        log.error(
          { step: step.name, err: err.message, onRedisDown: rl.onRedisDown },
          rl.onRedisDown === 'fail-open'
            ? 'rate limiter: Redis unreachable, continuing on a local bucket'
            : 'rate limiter: Redis unreachable, waiting for it',
        );
      }
    },
  });
}

/**
 * Stops the start when Redis refuses our credentials (no retry mends that, and the limiter would
 * otherwise wait on it silently); a Redis that is merely down is left to the limiter, which waits.
 */
async function refusedCredentials(redis: Redis, url: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      if (!/WRONGPASS|NOAUTH|\bAUTH\b/.test(err.message)) return;
      clearTimeout(timer);
      redis.off('ready', done);
      redis.disconnect();
      reject(new Error(`Redis at ${redactUrl(url)} refused the credentials: ${err.message}`));
    };
    const timer = setTimeout(done, 5_000);
    redis.once('ready', done);
    redis.on('error', onError);
  });
}

/**
 * Before anything joins a group: a cluster that does not answer is a bad setting until proven
 * otherwise, so the start fails naming the servers and the setting (a worker that has started
 * rides out outages instead).
 */
async function clusterAnswers(conn: KafkaConnection): Promise<void> {
  const admin = KafkaAdmin.create(conn, conn.timeoutMs ?? STARTUP_PROBE_MS);
  try {
    await admin.listTopics();
  } finally {
    admin.disconnect();
  }
}

/**
 * `max.message.bytes` of every topic the steps write (outputs, tiers, DLQ), so that an output its
 * topic would refuse fails its input instead of every transaction. Best effort: without the
 * DescribeConfigs permission the broker stays the only judge.
 */
async function writtenTopicLimits(conn: KafkaConnection, steps: PlannedStep[], log: Logger): Promise<Map<string, number>> {
  const topics = [...new Set(steps.flatMap((s) => [...s.outputs, ...s.retry.tiers.map((t) => t.topic), s.retry.dlq]))];
  try {
    const configs = await describeTopicConfigs(conn, topics, conn.timeoutMs ?? STARTUP_PROBE_MS);
    const limits = new Map<string, number>();
    for (const [topic, entries] of configs) {
      const bytes = Number(entries.get('max.message.bytes')?.value);
      if (Number.isFinite(bytes) && bytes > 0) limits.set(topic, bytes);
    }
    return limits;
  } catch (err) {
    log.warn(
      { err: (err as Error).message },
      'cannot read max.message.bytes of the output topics; oversized outputs will fail their transactions',
    );
    return new Map();
  }
}

export async function runSteps(opts: RunOptions): Promise<Running> {
  await clusterAnswers(opts.kafka);
  // Avro topics need the registry from the first record on: a registry that does not answer is a bad setting too.
  if (opts.plan.subjects.length > 0) await opts.registry.probe();
  const serde = new AvroSerde(opts.registry);
  const instanceId = opts.instanceId ?? defaultInstanceId();
  const steps = selectSteps(opts.plan, opts.steps);
  let redis: Redis | undefined;
  if (steps.some(needsRedis)) {
    if (!opts.redisUrl) throw new Error('REDIS_URL is needed: a step has a Redis rate limit or HTTP delivery records');
    redis = new Redis(opts.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (n) => Math.min(n * 200, 2_000),
    });
    redis.on('error', () => undefined); // reported by the limiter, which decides what to do
    await refusedCredentials(redis, opts.redisUrl);
  }
  const workers: Worker[] = [];
  const topicLimits = await writtenTopicLimits(opts.kafka, steps, opts.logger);
  const clients = rdkafkaClients(opts.kafka);
  const hooks = testHooksFromEnv();
  try {
    for (const step of steps) {
      const limiter = limiterFor(step, redis, opts.logger);
      const deps: WorkerDeps = {
        plan: opts.plan,
        step,
        root: opts.root,
        clients,
        serde,
        hooks,
        logger: opts.logger,
        instanceId,
        ...(opts.staticMembership ? { staticMembership: true } : {}),
        topicLimits,
        ...(opts.sessionTimeoutMs ? { sessionTimeoutMs: opts.sessionTimeoutMs } : {}),
        ...(opts.stallAfterMs ? { stallAfterMs: opts.stallAfterMs } : {}),
        ...(opts.isolateAfter ? { isolateAfter: opts.isolateAfter } : {}),
        ...(opts.delivery ? { delivery: opts.delivery } : {}),
        ...(limiter ? { limiter } : {}),
        ...(step.kind === 'http' ? { processor: httpSender(step, { ...(redis ? { redis } : {}) }) } : {}),
      };
      if (step.kind === 'postgres') {
        if (!opts.databaseUrl) throw new Error(`step ${step.name} writes to Postgres: DATABASE_URL is needed`);
        const schemaJson = step.readerSchema ? schemaFile(opts.root, step.readerSchema).json : undefined;
        deps.sink = new PostgresSink(step, {
          connectionString: opts.databaseUrl,
          schemaJson,
          ...(opts.connectTimeoutMs ? { startupTimeoutMs: opts.connectTimeoutMs } : {}),
          ...(opts.postgresWrite ? { strategy: opts.postgresWrite } : {}),
        });
      }
      const worker = await Worker.create(deps);
      await worker.start();
      workers.push(worker);
    }
  } catch (err) {
    await Promise.all(workers.map((w) => w.stop()));
    await clients.close();
    redis?.disconnect();
    throw err;
  }
  const failed = new Promise<Worker>((resolve) => {
    for (const w of workers) void w.done.then(() => w.failure && resolve(w));
  });
  return {
    workers,
    failed,
    stop: async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await clients.close();
      redis?.disconnect();
    },
  };
}
