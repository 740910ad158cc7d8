// weir's exactly-once pipe against its Kafka Streams peer (bench/peer: the same step — Avro in,
// identity, Avro out — as a Streams application with exactly_once_v2), draining the same backlog in
// one run: one process at a time, the order rotating per repetition, each with its own output
// topic and group. Per run: records/s from assignment to drained, CPU ms per 1k records (steady and
// whole process), peak RSS; every output is read back (read_committed) and checked.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaAdmin } from '../src/kafka/admin.ts';
import { KafkaConsumer } from '../src/kafka/consumer.ts';
import { tpKey } from '../src/kafka/types.ts';
import { requireJava } from '../src/stack/java.ts';
import { KAFKA_MIN_JAVA } from '../src/stack/versions.ts';
import { EVENT, kafka, measureDrain, pipeTopology, produceBacklog, project, settings, spawnProc, weirRun, type Proc } from './harness.ts';
import { fmt, type SuiteResult } from './report.ts';

const PARTITIONS = 6;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** weir's step options in this comparison (YAML lines); BENCH_WEIR_OPTIONS adds lines, `;`-separated (e.g. `threads: 2`). */
export const WEIR_STEP_OPTIONS = ['batch: { records: 10000, bytes: 64MiB, time: 100ms }'];
/** Stream threads of the Kafka Streams peer. */
const KS_THREADS = 1;
/** Pause between runs, so that one run's broker work (markers, offsets, log flushes) does not land in the next. */
const SETTLE_MS = 2_000;

const PEER = fileURLToPath(new URL('./peer/', import.meta.url));
const JAR = join(PEER, 'target', 'weir-peer.jar');
const CLASSPATH = join(PEER, 'target', 'classpath.txt');
const MAIN_CLASS = 'weir.bench.peer.Main';

const split = (text: string | undefined, sep: RegExp) =>
  (text ?? '')
    .split(sep)
    .map((s) => s.trim())
    .filter(Boolean);
const weirOptions = () => [...WEIR_STEP_OPTIONS, ...split(process.env.BENCH_WEIR_OPTIONS, /;/)];
/** Extra JVM options for the peer (whitespace-separated); none by default: the JVM's own ergonomics. */
const jvmOptions = () => split(process.env.BENCH_PEER_JVM_OPTS, /\s+/);
/** Extra Streams/client properties for the peer, `key=value;key=value`. */
const peerProps = () => split(process.env.BENCH_PEER_PROPS, /;/);

function sizes(): number[] {
  const list = split(process.env.BENCH_PEER_SIZES, /,/).map(Number);
  const out = list.length ? list : [Number(process.env.BENCH_RECORDS ?? 200_000)];
  if (out.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error(`BENCH_PEER_SIZES/BENCH_RECORDS: not a record count: ${out.join(',')}`);
  return out;
}

function newestMtime(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((e) => newestMtime(join(path, e))));
}

/** Builds bench/peer with Maven unless its jar and classpath are newer than its sources; returns the classpath. */
function buildPeer(): { classpath: string; built: boolean } {
  // Maven leaves classpath.txt alone when it would not change: it need only be newer than the pom.
  const pom = newestMtime(join(PEER, 'pom.xml'));
  const fresh =
    existsSync(JAR) &&
    existsSync(CLASSPATH) &&
    statSync(JAR).mtimeMs >= Math.max(pom, newestMtime(join(PEER, 'src'))) &&
    statSync(CLASSPATH).mtimeMs >= pom;
  if (!fresh) {
    process.stdout.write('  building bench/peer (mvn -B -q package) …\n');
    const r = spawnSync('mvn', ['-B', '-q', 'package'], { cwd: PEER, stdio: 'inherit' });
    if (r.error) throw new Error(`mvn: ${r.error.message} (Maven is needed to build the Kafka Streams peer)`);
    if (r.status !== 0) throw new Error(`mvn -B -q package in ${PEER} failed (exit ${r.status})`);
    const now = new Date();
    utimesSync(CLASSPATH, now, now);
  }
  return { classpath: `${JAR}:${readFileSync(CLASSPATH, 'utf8').trim()}`, built: !fresh };
}

type Engine = 'weir' | 'ks' | 'client';
const LABEL: Record<Engine, string> = {
  weir: 'weir EOS',
  ks: 'Kafka Streams EOS v2',
  client: 'the client alone (bytes → bytes, EOS)',
};
const ENGINES: Engine[] = ['weir', 'ks', 'client'];
const TSX = createRequire(import.meta.url).resolve('tsx/esm');
const CLIENT_PIPE = fileURLToPath(new URL('./client-pipe.ts', import.meta.url));

interface Sample {
  engine: Engine;
  records: number;
  rep: number;
  /** Records/s from assignment until the group's committed offsets reached the input's end. */
  rate: number;
  /** CPU ms per 1k records between assignment and drained. */
  cpuPer1k: number;
  /** CPU ms per 1k records of the whole process up to drained (start-up included). */
  cpuPer1kTotal: number;
  /** Spawn → assigned, ms. */
  startMs: number;
  rssMiB: number;
  check: OutputCheck;
}

export interface OutputCheck {
  read: number;
  missing: number;
  duplicates: number;
  ok: boolean;
}

/**
 * Reads `topic` from the beginning to its end with read_committed (after every transaction on it has
 * ended) and checks that the Event seq values 0 … n−1 each arrived exactly once.
 */
export async function checkOutput(topic: string, n: number): Promise<OutputCheck> {
  const admin = KafkaAdmin.create(kafka());
  const partitions = await admin.partitionsOf([topic]);
  try {
    await admin.untilStable(partitions, 60_000);
  } finally {
    admin.disconnect();
  }
  const consumer = await KafkaConsumer.connect(kafka(), {
    name: 'bench-peer-check',
    groupId: `bench-peer-check-${Date.now()}`,
    isolation: 'read_committed',
    partitionEof: true,
  });
  // As in src/kafka/reader.ts: a partition is done when its latest EOF lies beyond the last record read.
  const eofAt = new Map<string, number>();
  const lastRead = new Map<string, number>();
  consumer.onPartitionEof((tp) => eofAt.set(tpKey(tp), tp.offset));
  const done = (key: string) => (eofAt.get(key) ?? -Infinity) > (lastRead.get(key) ?? -1);
  consumer.assign(partitions.map((tp) => ({ ...tp, offset: -2 })));
  const seen = new Uint8Array(n);
  let read = 0;
  let duplicates = 0;
  let outside = 0;
  const deadline = Date.now() + 300_000;
  try {
    while (partitions.some((tp) => !done(tpKey(tp)))) {
      if (Date.now() > deadline) throw new Error(`reading ${topic}: end not reached within 300 s`);
      for (const r of await consumer.consume(5_000, 200)) {
        lastRead.set(tpKey(r), r.offset);
        read++;
        const seq = Number((EVENT.type.fromBuffer(r.value!.subarray(5)) as { seq: number }).seq);
        if (!(seq >= 0 && seq < n)) outside++;
        else if (seen[seq]) duplicates++;
        else seen[seq] = 1;
      }
    }
  } finally {
    await consumer.disconnect();
  }
  const missing = seen.reduce((m, v) => m + (v ? 0 : 1), 0);
  return { read, missing, duplicates: duplicates + outside, ok: read === n && missing === 0 && duplicates + outside === 0 };
}

export const measure = async (start: () => Proc, group: string, input: string, output: string, n: number) => ({
  ...(await measureDrain(start, group, input, n)),
  output,
});

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
export const spread = (xs: number[], f: (x: number) => string) =>
  xs.length > 1 ? `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : f(xs[0]!);

export async function peerSuite(): Promise<SuiteResult> {
  const { classpath, built } = buildPeer();
  const { java } = requireJava(KAFKA_MIN_JAVA, 'The Kafka Streams peer');
  const javaVersion = /version "([^"]+)"/.exec(spawnSync(java, ['-version'], { encoding: 'utf8' }).stderr)?.[1] ?? '?';
  const ksVersion = /<kafka\.version>([^<]+)</.exec(readFileSync(join(PEER, 'pom.xml'), 'utf8'))?.[1] ?? '?';
  const { KAFKA_BOOTSTRAP_SERVERS: bootstrap, SCHEMA_REGISTRY_URL: registry } = settings();
  const options = weirOptions();
  const id = Date.now().toString(36);
  const samples: Sample[] = [];

  for (const n of sizes()) {
    const input = `bench.peer.in.${id}.${n}`;
    // Creates the input topic and registers its value schema.
    await project(
      pipeTopology({ pipeline: 'bench', step: 'peer-setup', input, output: `bench.peer.setup.${id}.${n}`, partitions: PARTITIONS }),
    );
    process.stdout.write(`  ${n.toLocaleString('en-US')} records: producing the backlog …\n`);
    await produceBacklog(input, n);
    for (let rep = 0; rep < REPEATS; rep++) {
      // Rotated per repetition, so no engine always runs first or last.
      const order = ENGINES.map((_, i) => ENGINES[(i + rep) % ENGINES.length]!);
      for (const engine of order) {
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const step = `peer-${engine}-${n}-${rep}`;
        const output = `bench.peer.${engine}.${id}.${n}.${rep}`;
        // Creates the output topic and registers its value schema (the peer looks it up there).
        const p = await project(pipeTopology({ pipeline: 'bench', step, input, output, partitions: PARTITIONS, options }));
        const appId = `bench-peer-${engine}-${id}-${n}-${rep}`;
        const run =
          engine === 'weir'
            ? await measure(() => weirRun(p, ['--delivery', 'exactly-once']), p.plan.steps[0]!.group, input, output, n)
            : engine === 'client'
              ? await measure(() => spawnProc(['--import', TSX, CLIENT_PIPE, bootstrap, input, output, appId]), appId, input, output, n)
              : await measure(
                  () =>
                    spawnProc(
                      [
                        ...jvmOptions(),
                        '-cp',
                        classpath,
                        MAIN_CLASS,
                        bootstrap,
                        registry,
                        input,
                        output,
                        appId,
                        String(KS_THREADS),
                        ...peerProps(),
                      ],
                      {},
                      java,
                    ),
                  appId,
                  input,
                  output,
                  n,
                );
        const check = await checkOutput(output, n);
        const s: Sample = { engine, records: n, rep, ...run, check };
        samples.push(s);
        process.stdout.write(
          `  ${LABEL[engine]} #${rep + 1}: ${fmt(s.rate)}/s, ${s.cpuPer1k.toFixed(1)} ms CPU per 1k (${s.cpuPer1kTotal.toFixed(1)} whole process), ` +
            `peak RSS ${s.rssMiB.toFixed(0)} MiB, assigned after ${s.startMs} ms; output ${check.ok ? 'ok' : `WRONG: ${JSON.stringify(check)}`}\n`,
        );
      }
    }
  }

  const rows = sizes().map((n) => {
    const of = (engine: Engine) => {
      const xs = samples.filter((s) => s.records === n && s.engine === engine);
      return {
        engine,
        rates: xs.map((s) => s.rate),
        rate: median(xs.map((s) => s.rate)),
        cpuPer1k: median(xs.map((s) => s.cpuPer1k)),
        cpuPer1kTotal: median(xs.map((s) => s.cpuPer1kTotal)),
        rssMiB: median(xs.map((s) => s.rssMiB)),
        startMs: median(xs.map((s) => s.startMs)),
      };
    };
    const weir = of('weir');
    const ks = of('ks');
    const client = of('client');
    return {
      records: n,
      weir,
      ks,
      client,
      rateRatio: weir.rate / ks.rate,
      clientRateRatio: client.rate / ks.rate,
      cpuRatio: weir.cpuPer1k / ks.cpuPer1k,
      cpuTotalRatio: weir.cpuPer1kTotal / ks.cpuPer1kTotal,
    };
  });
  const failed = samples.filter((s) => !s.check.ok);
  const table = (r: (typeof rows)[number]) => {
    const line = (x: typeof r.weir) =>
      `| ${LABEL[x.engine]} | ${spread(x.rates, fmt)} | ${x.cpuPer1k.toFixed(1)} | ${x.cpuPer1kTotal.toFixed(1)} | ${x.rssMiB.toFixed(0)} MiB | ${fmt(x.startMs)} ms |`;
    return `### ${r.records.toLocaleString('en-US')} records

weir / Kafka Streams: records/s **${r.rateRatio.toFixed(2)}**, CPU per record **${r.cpuRatio.toFixed(2)}** (assigned → drained), ${r.cpuTotalRatio.toFixed(2)} (whole process). The client alone / Kafka Streams: records/s ${r.clientRateRatio.toFixed(2)}; weir / the client alone: ${(r.weir.rate / r.client.rate).toFixed(2)}.

| | records/s, median (min–max) | CPU ms / 1k, assigned → drained | CPU ms / 1k, whole process | peak RSS | spawn → assigned |
|---|---|---|---|---|---|
${line(r.weir)}
${line(r.ks)}
${line(r.client)}
`;
  };
  const jvm = jvmOptions();
  const props = peerProps();
  const markdown = `The same Avro backlog (≈100 B records, ${PARTITIONS} partitions) drained from the start by weir's exactly-once pipe, by a Kafka Streams application doing the same step (decode → identity → encode, Confluent wire format, one schema-registry lookup per schema id) and by a bare pipe on weir's Kafka client, each into its own output topic with its own group; one process at a time on the local single-node broker, the order rotating per repetition, ${REPEATS} run${REPEATS === 1 ? '' : 's'} each (medians; min–max of records/s).

- **weir**: \`weir run --delivery exactly-once\` from this checkout (bin/weir.js: the TypeScript sources through tsx, so start-up includes transpiling), step options \`${options.join('; ')}\` (one transaction per batch, \`read_committed\`).
- **Kafka Streams ${ksVersion}** (bench/peer): \`processing.guarantee=exactly_once_v2\`, \`commit.interval.ms=100\`, ${KS_THREADS} stream thread, otherwise Streams' defaults${props.length ? `, plus \`${props.join('; ')}\`` : ''}; GenericRecord values through its own Avro serde (reused decoders/encoders). Java ${javaVersion}, JVM options: ${jvm.length ? `\`${jvm.join(' ')}\`` : "none (the JVM's defaults)"}.
- **The client alone** (bench/client-pipe.ts): the same librdkafka client weir uses, bytes in → bytes out with the one header weir writes (\`weir.event.id\`), a transaction per 10 000 records with the offsets in it, the next batch read while one commits; no decoding, no runtime — the floor of any pipe on this client.
- records/s: from the worker saying it has its partitions (weir's \`assigned\` log line; Streams' state RUNNING) until the group's committed offsets reach the input's end (polled every 50 ms). CPU: user + system of the process from /proc (10 ms ticks) over the same span, and over its whole life up to drained (start-up, JIT warm-up included). Peak RSS: VmHWM at drained.
- Output check after every run: the output topic read back from the beginning to its end with \`read_committed\`, every seq 0 … n−1 exactly once — ${failed.length === 0 ? `held in all ${samples.length} runs` : `**FAILED in ${failed.length} of ${samples.length} runs**: ${failed.map((s) => `${LABEL[s.engine]} ${s.records} #${s.rep + 1} ${JSON.stringify(s.check)}`).join('; ')}`}.

${rows.map(table).join('\n')}`;
  return {
    suite: 'peer',
    title: 'weir against Kafka Streams (exactly-once pipe)',
    markdown,
    data: {
      sizes: sizes(),
      partitions: PARTITIONS,
      repeats: REPEATS,
      weirOptions: options,
      kafkaStreams: { version: ksVersion, threads: KS_THREADS, props, java: javaVersion, jvmOptions: jvm, builtThisRun: built },
      rows,
      samples,
    },
  };
}
