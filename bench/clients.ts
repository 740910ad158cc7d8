// Two Kafka clients' floor for an exactly-once pipe, side by side in one run: the librdkafka binding
// weir uses (bench/client-pipe.ts) and @platformatic/kafka, pure JavaScript (bench/client-pipe-
// platformatic.ts). The same pipe on each — bytes in → bytes out with weir's one header, a
// transaction per 10 000 records holding the offsets — draining the same backlog, alternating, every
// output read back (read_committed) and checked. Whether a different client could carry weir past
// the binding's floor. BENCH_CLIENT_RECORDS (default 1 000 000), BENCH_REPEATS (default 2).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { pipeTopology, produceBacklog, project, settings, spawnProc } from './harness.ts';
import { checkOutput, measure, median, spread, type OutputCheck } from './peer.ts';
import { fmt, type SuiteResult } from './report.ts';

const PARTITIONS = 6;
const TSX = createRequire(import.meta.url).resolve('tsx/esm');
const PIPES = {
  librdkafka: fileURLToPath(new URL('./client-pipe.ts', import.meta.url)),
  platformatic: fileURLToPath(new URL('./client-pipe-platformatic.ts', import.meta.url)),
} as const;
type Client = keyof typeof PIPES;
const LABEL: Record<Client, string> = {
  librdkafka: '`@confluentinc/kafka-javascript` (librdkafka), what weir uses',
  platformatic: '`@platformatic/kafka` (pure JavaScript)',
};

export async function clientsSuite(): Promise<SuiteResult> {
  const n = Number(process.env.BENCH_CLIENT_RECORDS ?? 1_000_000);
  const repeats = Number(process.env.BENCH_REPEATS ?? 2);
  const bootstrap = settings().KAFKA_BOOTSTRAP_SERVERS;
  const id = Date.now().toString(36);
  const input = `bench.clients.in.${id}`;
  await project(
    pipeTopology({ pipeline: 'bench', step: 'clients-setup', input, output: `bench.clients.setup.${id}`, partitions: PARTITIONS }),
  );
  process.stdout.write(`  ${n.toLocaleString('en-US')} records: producing the backlog …\n`);
  await produceBacklog(input, n);
  const samples: Array<{ client: Client; rate: number; cpuPer1k: number; rssMiB: number; check: OutputCheck }> = [];
  for (let rep = 0; rep < repeats; rep++) {
    const order: Client[] = rep % 2 ? ['platformatic', 'librdkafka'] : ['librdkafka', 'platformatic'];
    for (const client of order) {
      await new Promise((r) => setTimeout(r, 2_000));
      const output = `bench.clients.${client}.${id}.${rep}`;
      await project(pipeTopology({ pipeline: 'bench', step: `clients-${client}-${rep}`, input, output, partitions: PARTITIONS }));
      const group = `bench-clients-${client}-${id}-${rep}`;
      const run = await measure(
        () => spawnProc(['--import', TSX, PIPES[client], bootstrap, input, output, group]),
        group,
        input,
        output,
        n,
      );
      const check = await checkOutput(output, n);
      samples.push({ client, rate: run.rate, cpuPer1k: run.cpuPer1k, rssMiB: run.rssMiB, check });
      process.stdout.write(
        `  ${client} #${rep + 1}: ${fmt(run.rate)} records/s, ${run.cpuPer1k.toFixed(1)} ms CPU per 1k, ${check.ok ? 'exactly once' : JSON.stringify(check)}\n`,
      );
    }
  }
  const of = (client: Client) => {
    const xs = samples.filter((s) => s.client === client);
    return {
      client,
      rates: xs.map((s) => s.rate),
      rate: median(xs.map((s) => s.rate)),
      cpuPer1k: median(xs.map((s) => s.cpuPer1k)),
      rssMiB: median(xs.map((s) => s.rssMiB)),
    };
  };
  const rows = (Object.keys(PIPES) as Client[]).map(of);
  const failed = samples.filter((s) => !s.check.ok);
  const markdown = `${n.toLocaleString('en-US')} records of ≈100 B, ${PARTITIONS} partitions, ${repeats} runs each, alternating; medians (min–max).

| client | records/s | CPU ms per 1k | peak RSS |
|---|---|---|---|
${rows.map((r) => `| ${LABEL[r.client]} | ${spread(r.rates, fmt)} | ${r.cpuPer1k.toFixed(1)} | ${r.rssMiB.toFixed(0)} MiB |`).join('\n')}

@platformatic/kafka ÷ librdkafka: **${(rows[1]!.rate / rows[0]!.rate).toFixed(2)}×** records/s, ${(rows[1]!.cpuPer1k / rows[0]!.cpuPer1k).toFixed(2)}× CPU per record.
Every output read back with read_committed: ${failed.length === 0 ? 'every seq exactly once' : `**${failed.length} runs failed the check**: ${JSON.stringify(failed.map((f) => ({ client: f.client, ...f.check })))}`}.

The @platformatic/kafka pipe awaits each step of a transaction in turn (begin, add the group, send and its acknowledgements, one offset commit per partition, end), so its records/s is latency-bound; CPU per record is the figure that decides on two shared cores: the pure-JavaScript client spends more per record than the binding, so it offers no way past the binding's floor.
`;
  return { suite: 'clients', title: 'Two clients’ exactly-once floor (bench/clients.ts)', markdown, data: { records: n, samples } };
}
