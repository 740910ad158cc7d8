// Prometheus metrics of a weir process, declared once here. Names follow Prometheus conventions
// (`_total` counters, base units in seconds and bytes) with the `weir_` prefix; `pipeline` and
// `step` are on every per-step series (steps of two pipelines may share a name).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
// Standard process_* and nodejs_* metrics, under their usual names so stock dashboards work.
collectDefaultMetrics({ register: registry });

const step = ['pipeline', 'step'] as const;

/** The labels of a step's series. */
export interface StepLabels {
  pipeline: string;
  step: string;
}

export const stepLabels = (s: { pipeline: string; name: string }): StepLabels => ({ pipeline: s.pipeline, step: s.name });

export const metrics = {
  recordsIn: new Counter({
    name: 'weir_records_in_total',
    help: 'Records consumed by a step (input and retry tiers).',
    labelNames: [...step, 'source'],
    registers: [registry],
  }),
  recordsOut: new Counter({
    name: 'weir_records_out_total',
    help: 'Records produced by a step to its output topics.',
    labelNames: step,
    registers: [registry],
  }),
  transactions: new Counter({
    name: 'weir_transactions_total',
    help: 'Transactions by outcome (committed, aborted).',
    labelNames: [...step, 'outcome'],
    registers: [registry],
  }),
  fenced: new Counter({
    name: 'weir_fenced_total',
    help: 'Times a worker found itself fenced (a zombie) and rejoined.',
    labelNames: step,
    registers: [registry],
  }),
  batchRecords: new Histogram({
    name: 'weir_batch_records',
    help: 'Records per transaction.',
    labelNames: step,
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers: [registry],
  }),
  transactionSeconds: new Histogram({
    name: 'weir_transaction_duration_seconds',
    help: 'Begin to commit of a transaction.',
    labelNames: step,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
  processSeconds: new Histogram({
    name: 'weir_process_batch_duration_seconds',
    help: 'Time to decode and transform (or deliver) one batch.',
    labelNames: step,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  }),
  retryHops: new Counter({
    name: 'weir_retry_hops_total',
    help: 'Failed records sent to a retry tier.',
    labelNames: [...step, 'tier', 'error_class'],
    registers: [registry],
  }),
  dlqRecords: new Counter({
    name: 'weir_dlq_records_total',
    help: 'Records sent to the DLQ, by error class.',
    labelNames: [...step, 'error_class'],
    registers: [registry],
  }),
  retryLateness: new Histogram({
    name: 'weir_retry_lateness_seconds',
    help: 'How long after its due time a retry-tier record was processed.',
    labelNames: [...step, 'tier'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [registry],
  }),
  retryEarly: new Counter({
    name: 'weir_retry_early_total',
    help: 'Retry-tier records processed before their due time (a bug if ever non-zero).',
    labelNames: [...step, 'tier'],
    registers: [registry],
  }),
  retryTierDepth: new Gauge({
    name: 'weir_retry_tier_records',
    help: 'Records waiting in a retry tier (end offset minus committed).',
    labelNames: [...step, 'topic'],
    registers: [registry],
  }),
  retryTierOldestSeconds: new Gauge({
    name: 'weir_retry_tier_oldest_age_seconds',
    help: 'Age of the oldest waiting record in a retry tier.',
    labelNames: [...step, 'topic'],
    registers: [registry],
  }),
  consumerLag: new Gauge({
    name: 'weir_consumer_lag_records',
    help: 'Last stable offset minus committed offset, per input partition.',
    labelNames: [...step, 'topic', 'partition'],
    registers: [registry],
  }),
  stalledPartitions: new Gauge({
    name: 'weir_partition_stalled',
    help: '1 while an input partition has lag and its committed offset has not moved for the stall time.',
    labelNames: [...step, 'topic', 'partition'],
    registers: [registry],
  }),
  assignedPartitions: new Gauge({
    name: 'weir_assigned_partitions',
    help: 'Input partitions assigned to this process.',
    labelNames: step,
    registers: [registry],
  }),
  rateLimitWaitSeconds: new Counter({
    name: 'weir_rate_limit_wait_seconds_total',
    help: 'Time spent waiting for rate-limit tokens.',
    labelNames: step,
    registers: [registry],
  }),
  rateLimitRedisErrors: new Counter({
    name: 'weir_rate_limit_redis_errors_total',
    help: 'Rate-limit acquisitions that failed because Redis was unreachable.',
    labelNames: step,
    registers: [registry],
  }),
  sinkRows: new Counter({
    name: 'weir_sink_rows_total',
    help: 'Rows or requests delivered by a sink.',
    labelNames: [...step, 'sink'],
    registers: [registry],
  }),
  sinkSeconds: new Histogram({
    name: 'weir_sink_write_duration_seconds',
    help: 'One sink write (a database transaction, or an HTTP request).',
    labelNames: [...step, 'sink'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  }),
};
