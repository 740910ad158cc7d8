// The broker alone: Kafka's own ProducerPerformance and ConsumerPerformance (kafka-tools, fetched
// with Maven into ~/.cache/weir/bench on first use) against the local broker, on a fresh
// 6-partition topic per repetition — the ceiling any pipe on this machine works under.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KafkaAdmin } from '../src/kafka/admin.ts';
import { ensureKafkaJars } from '../src/stack/artifacts.ts';
import { requireJava } from '../src/stack/java.ts';
import { stackCacheDir } from '../src/stack/paths.ts';
import { KAFKA_MIN_JAVA, KAFKA_VERSION } from '../src/stack/versions.ts';
import { kafka, settings } from './harness.ts';
import { fmt, type SuiteResult } from './report.ts';

const PARTITIONS = 6;
const RECORD_SIZE = 100;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** As kafka-run-class.sh starts the perf tools (its default KAFKA_HEAP_OPTS and KAFKA_JVM_PERFORMANCE_OPTS). */
const JVM = ['-Xmx256M', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-Djava.awt.headless=true'];
const PRODUCER_PROPS = ['acks=all', 'linger.ms=5'];
/** The transactional producer run commits this often (weir's batch time and Streams' commit interval in bench/peer.ts). */
const TRANSACTION_MS = 100;

/** kafka-tools (ProducerPerformance, ConsumerPerformance) is not among the broker's jars: fetch it once. */
function toolsDir(): string {
  const dir = join(dirname(stackCacheDir()), 'bench', `kafka-tools-${KAFKA_VERSION}`);
  if (existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('kafka-tools-'))) return dir;
  mkdirSync(dir, { recursive: true });
  process.stdout.write(`  fetching org.apache.kafka:kafka-tools:${KAFKA_VERSION} into ${dir} …\n`);
  const r = spawnSync(
    'mvn',
    ['-B', '-q', 'dependency:copy', `-Dartifact=org.apache.kafka:kafka-tools:${KAFKA_VERSION}`, `-DoutputDirectory=${dir}`],
    { cwd: dir, stdio: 'inherit' },
  );
  if (r.error || r.status !== 0) throw new Error(`mvn dependency:copy of kafka-tools failed (${r.error?.message ?? `exit ${r.status}`})`);
  return dir;
}

function tool(java: string, classpath: string, main: string, args: string[]): string {
  const r = spawnSync(java, [...JVM, '-cp', classpath, main, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`${main} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

interface ProducerRun {
  rate: number;
  mbPerSec: number;
  avgLatencyMs: number;
  p99Ms: number;
}

/** `N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, p50 ms 50th, … p99 ms 99th, …` */
function parseProducer(out: string): ProducerRun {
  const m =
    /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency(?:, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th)?/.exec(
      out,
    );
  if (!m) throw new Error(`ProducerPerformance: no summary line in\n${out}`);
  return { rate: Number(m[2]), mbPerSec: Number(m[3]), avgLatencyMs: Number(m[4]), p99Ms: Number(m[8] ?? NaN) };
}

function produce(java: string, classpath: string, bootstrap: string, topic: string, n: number, extra: string[] = []): ProducerRun {
  return parseProducer(
    tool(java, classpath, 'org.apache.kafka.tools.ProducerPerformance', [
      '--bootstrap-server',
      bootstrap,
      '--topic',
      topic,
      '--num-records',
      String(n),
      '--record-size',
      String(RECORD_SIZE),
      '--throughput',
      '-1',
      ...extra,
      '--command-property',
      ...PRODUCER_PROPS,
    ]),
  );
}

interface ConsumerRun {
  /** records/s over the whole run, group join included. */
  rate: number;
  /** records/s over the fetch time only (rebalance excluded). */
  fetchRate: number;
  fetchMbPerSec: number;
}

/** The CSV header line and the line after it. */
function parseConsumer(out: string): ConsumerRun {
  const lines = out.split('\n').map((l) => l.trim());
  const h = lines.findIndex((l) => l.startsWith('start.time'));
  if (h < 0 || !lines[h + 1]) throw new Error(`ConsumerPerformance: no result in\n${out}`);
  const names = lines[h]!.split(',').map((s) => s.trim());
  const values = lines[h + 1]!.split(',').map((s) => s.trim());
  const get = (name: string) => Number(values[names.indexOf(name)]);
  return { rate: get('nMsg.sec'), fetchRate: get('fetch.nMsg.sec'), fetchMbPerSec: get('fetch.MB.sec') };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const spread = (xs: number[]) => (xs.length > 1 ? `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})` : fmt(xs[0]!));

export async function ceilingSuite(n = Number(process.env.BENCH_CEILING_RECORDS ?? 1_000_000)): Promise<SuiteResult> {
  const { java } = requireJava(KAFKA_MIN_JAVA, "Kafka's perf tools");
  const classpath = `${ensureKafkaJars()}/*:${toolsDir()}/*`;
  const bootstrap = settings().KAFKA_BOOTSTRAP_SERVERS;
  const id = Date.now().toString(36);
  const producer: ProducerRun[] = [];
  const transactional: ProducerRun[] = [];
  const consumer: ConsumerRun[] = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    const topic = `bench.ceiling.${id}.${rep}`;
    // The transactional producer (a commit every 100 ms, as both pipes write) gets a topic of its own.
    const txTopic = `${topic}.tx`;
    const admin = KafkaAdmin.create(kafka());
    try {
      await admin.createTopics([topic, txTopic].map((name) => ({ name, partitions: PARTITIONS })));
    } finally {
      admin.disconnect();
    }
    const p = produce(java, classpath, bootstrap, topic, n);
    const c = parseConsumer(
      tool(java, classpath, 'org.apache.kafka.tools.ConsumerPerformance', [
        '--bootstrap-server',
        bootstrap,
        '--topic',
        topic,
        '--num-records',
        String(n),
        '--group',
        `bench-ceiling-${id}-${rep}`,
        '--timeout',
        '60000',
      ]),
    );
    const t = produce(java, classpath, bootstrap, txTopic, n, ['--transaction-duration-ms', String(TRANSACTION_MS)]);
    producer.push(p);
    transactional.push(t);
    consumer.push(c);
    process.stdout.write(
      `  #${rep + 1}: produce ${fmt(p.rate)} records/s (${p.mbPerSec.toFixed(1)} MB/s, p99 ${p.p99Ms} ms), transactional ${fmt(t.rate)}/s, ` +
        `consume ${fmt(c.fetchRate)} records/s (${fmt(c.rate)} with the group join)\n`,
    );
  }
  const markdown = `Kafka's own perf tools (kafka-tools ${KAFKA_VERSION}) against the local single-node broker: ${n.toLocaleString('en-US')} records of ${RECORD_SIZE} B on a fresh ${PARTITIONS}-partition topic, produced, then consumed, then produced once more with transactions into a second topic; ${REPEATS} run${REPEATS === 1 ? '' : 's'} (median, min–max). The JVM started as kafka-run-class.sh does (\`${JVM.join(' ')}\`). The broker's ceiling on this machine: a pipe reads and writes every record, so it cannot go beyond the slower of the two, and in practice shares the cores with the broker.

| | records/s, median (min–max) | |
|---|---|---|
| ProducerPerformance (\`${PRODUCER_PROPS.join(' ')}\`, no key, \`--throughput -1\`) | ${spread(producer.map((p) => p.rate))} | ${fmt(median(producer.map((p) => p.mbPerSec)))} MB/s; latency avg ${fmt(median(producer.map((p) => p.avgLatencyMs)))} ms, p99 ${median(producer.map((p) => p.p99Ms)).toFixed(0)} ms |
| ProducerPerformance, transactional (\`--transaction-duration-ms ${TRANSACTION_MS}\`, same props) | ${spread(transactional.map((p) => p.rate))} | ${fmt(median(transactional.map((p) => p.mbPerSec)))} MB/s; latency avg ${fmt(median(transactional.map((p) => p.avgLatencyMs)))} ms, p99 ${median(transactional.map((p) => p.p99Ms)).toFixed(0)} ms |
| ConsumerPerformance, fetch time only | ${spread(consumer.map((c) => c.fetchRate))} | ${fmt(median(consumer.map((c) => c.fetchMbPerSec)))} MB/s |
| ConsumerPerformance, group join included | ${spread(consumer.map((c) => c.rate))} | |
`;
  return {
    suite: 'ceiling',
    title: 'Broker ceiling (Kafka perf tools)',
    markdown,
    data: {
      records: n,
      recordSize: RECORD_SIZE,
      partitions: PARTITIONS,
      repeats: REPEATS,
      jvm: JVM,
      producerProps: PRODUCER_PROPS,
      producer,
      consumer,
    },
  };
}
