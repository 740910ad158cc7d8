// Writes docs/grafana/weir.json: a Grafana dashboard over weir's Prometheus metrics.
import { writeFileSync } from 'node:fs';

interface Panel {
  title: string;
  expr: string | string[];
  legend?: string;
  unit?: string;
}

const rows: Array<{ title: string; panels: Panel[] }> = [
  {
    title: 'Flow',
    panels: [
      {
        title: 'Records in / s',
        expr: 'sum by (step, source) (rate(weir_records_in_total[1m]))',
        legend: '{{step}} {{source}}',
        unit: 'ops',
      },
      { title: 'Records out / s', expr: 'sum by (step) (rate(weir_records_out_total[1m]))', legend: '{{step}}', unit: 'ops' },
      {
        title: 'Consumer lag (records behind the last stable offset)',
        expr: 'sum by (step) (weir_consumer_lag_records)',
        legend: '{{step}}',
        unit: 'short',
      },
      { title: 'Assigned partitions', expr: 'sum by (step) (weir_assigned_partitions)', legend: '{{step}}', unit: 'short' },
    ],
  },
  {
    title: 'Transactions',
    panels: [
      {
        title: 'Transactions / s',
        expr: 'sum by (step, outcome) (rate(weir_transactions_total[1m]))',
        legend: '{{step}} {{outcome}}',
        unit: 'ops',
      },
      {
        title: 'Transaction latency p99',
        expr: 'histogram_quantile(0.99, sum by (le, step) (rate(weir_transaction_duration_seconds_bucket[5m])))',
        legend: '{{step}}',
        unit: 's',
      },
      {
        title: 'Records per transaction p50',
        expr: 'histogram_quantile(0.5, sum by (le, step) (rate(weir_batch_records_bucket[5m])))',
        legend: '{{step}}',
        unit: 'short',
      },
      {
        title: 'Batch processing p99',
        expr: 'histogram_quantile(0.99, sum by (le, step) (rate(weir_process_batch_duration_seconds_bucket[5m])))',
        legend: '{{step}}',
        unit: 's',
      },
      {
        title: 'Fenced (zombies that rejoined)',
        expr: 'sum by (step) (increase(weir_fenced_total[15m]))',
        legend: '{{step}}',
        unit: 'short',
      },
    ],
  },
  {
    title: 'Retries and DLQ',
    panels: [
      {
        title: 'Retry hops / s by tier',
        expr: 'sum by (step, tier) (rate(weir_retry_hops_total[5m]))',
        legend: '{{step}} tier {{tier}}',
        unit: 'ops',
      },
      {
        title: 'DLQ inflow by error class',
        expr: 'sum by (step, error_class) (increase(weir_dlq_records_total[15m]))',
        legend: '{{step}} {{error_class}}',
        unit: 'short',
      },
      {
        title: 'Records waiting in retry tiers',
        expr: 'sum by (step, topic) (weir_retry_tier_records)',
        legend: '{{topic}}',
        unit: 'short',
      },
      {
        title: 'Oldest record in a retry tier',
        expr: 'max by (step, topic) (weir_retry_tier_oldest_age_seconds)',
        legend: '{{topic}}',
        unit: 's',
      },
      {
        title: 'Retry lateness p99 (processed − due)',
        expr: 'histogram_quantile(0.99, sum by (le, step, tier) (rate(weir_retry_lateness_seconds_bucket[5m])))',
        legend: '{{step}} tier {{tier}}',
        unit: 's',
      },
    ],
  },
  {
    title: 'Sinks and rate limits',
    panels: [
      { title: 'Sink rows / s', expr: 'sum by (step, sink) (rate(weir_sink_rows_total[1m]))', legend: '{{step}} {{sink}}', unit: 'ops' },
      {
        title: 'Sink write p99',
        expr: 'histogram_quantile(0.99, sum by (le, step) (rate(weir_sink_write_duration_seconds_bucket[5m])))',
        legend: '{{step}}',
        unit: 's',
      },
      {
        title: 'Time waiting for rate-limit tokens',
        expr: 'sum by (step) (rate(weir_rate_limit_wait_seconds_total[1m]))',
        legend: '{{step}}',
        unit: 'percentunit',
      },
      {
        title: 'Rate limiter: Redis unreachable',
        expr: 'sum by (step) (increase(weir_rate_limit_redis_errors_total[5m]))',
        legend: '{{step}}',
        unit: 'short',
      },
    ],
  },
  {
    title: 'Process',
    panels: [
      { title: 'Resident memory', expr: 'process_resident_memory_bytes{job=~"$job"}', legend: '{{instance}}', unit: 'bytes' },
      { title: 'CPU', expr: 'rate(process_cpu_seconds_total{job=~"$job"}[1m])', legend: '{{instance}}', unit: 'percentunit' },
    ],
  },
];

let id = 1;
let y = 0;
const panels: unknown[] = [];
for (const row of rows) {
  panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ } });
  row.panels.forEach((p, i) => {
    const exprs = Array.isArray(p.expr) ? p.expr : [p.expr];
    panels.push({
      id: id++,
      type: 'timeseries',
      title: p.title,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { h: 8, w: 8, x: (i % 3) * 8, y: y + Math.floor(i / 3) * 8 },
      fieldConfig: { defaults: { unit: p.unit ?? 'short' }, overrides: [] },
      targets: exprs.map((expr, j) => ({ refId: String.fromCharCode(65 + j), expr, legendFormat: p.legend ?? '' })),
    });
  });
  y += Math.ceil(row.panels.length / 3) * 8;
}

const dashboard = {
  title: 'weir',
  uid: 'weir-overview',
  tags: ['weir', 'kafka'],
  timezone: 'browser',
  schemaVersion: 39,
  refresh: '30s',
  time: { from: 'now-1h', to: 'now' },
  templating: {
    list: [
      { name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' },
      {
        name: 'job',
        type: 'query',
        datasource: { type: 'prometheus', uid: '${datasource}' },
        query: 'label_values(weir_records_in_total, job)',
        includeAll: true,
        multi: true,
        current: { text: 'All', value: '$__all' },
      },
    ],
  },
  panels,
};

writeFileSync(new URL('../docs/grafana/weir.json', import.meta.url), JSON.stringify(dashboard, null, 2) + '\n');
console.log(`wrote docs/grafana/weir.json (${panels.length} panels)`);
