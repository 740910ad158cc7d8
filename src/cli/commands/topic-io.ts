// `weir produce` and `weir consume`: JSON lines into and out of a topic, encoded and decoded with
// the topic's formats from the topology (kcat / `rpk topic produce|consume` for weir's topics).
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  consumeFormats,
  encodeLines,
  FormatError,
  InputError,
  LineEncoder,
  produceFormats,
  RecordDecoder,
  type TopicFormats,
} from '../../admin/topic-io.ts';
import { consumeTopic, partitionCount, produceRecords, type StartAt } from '../../admin/topic-transfer.ts';
import type { IsolationLevel, OutboundRecord } from '../../kafka/types.ts';
import { AvroSerde } from '../../schema/serde.ts';
import { defaultTopologyFiles } from '../../topology/load.ts';
import { findTopic, type Plan } from '../../topology/plan.ts';
import { parseDuration } from '../../topology/spec/index.ts';
import { UsageError, type OptionSpec, type ParsedArgs } from '../args.ts';
import type { Command, Io } from '../command.ts';
import { kafka, registry } from '../connections.ts';
import { progress } from '../progress.ts';
import { compileFiles, planOrReport } from '../topology-input.ts';

const TOPOLOGY: OptionSpec = {
  name: 'topology',
  type: 'list',
  short: 't',
  description: "topology files that declare the topic's formats (default: topology/*.yaml, unless both formats are given)",
  value: '<file>',
};
const TOPIC_ARG = { name: 'topic', description: 'the topic', required: true } as const;

/**
 * The plan, if there is a topology; undefined (diagnostics printed) when it does not compile. With
 * both formats given, topology/*.yaml is not read (nor can it stand in the way).
 */
function loadTopology(args: ParsedArgs, io: Io): { plan: Plan | undefined; root: string } | undefined {
  const given = (args.options.topology as string[] | undefined) ?? [];
  const bothFormats = args.options['key-format'] !== undefined && args.options['value-format'] !== undefined;
  const files = given.length > 0 ? given : bothFormats ? [] : defaultTopologyFiles();
  if (files.length === 0) return { plan: undefined, root: process.cwd() };
  const compiled = compileFiles(files);
  if (compiled.plan) return { plan: compiled.plan, root: compiled.root };
  planOrReport(files, io);
  return undefined;
}

function formatOption(args: ParsedArgs, name: 'key-format' | 'value-format'): string | undefined {
  const v = args.options[name];
  return v === undefined ? undefined : String(v);
}

async function* linesOf(open: () => NodeJS.ReadableStream): AsyncGenerator<string> {
  for await (const line of createInterface({ input: open(), crlfDelay: Infinity })) yield line as string;
}

const needsRegistry = (f: TopicFormats) => f.key.format === 'avro' || f.value.format === 'avro';

export const produceCommand: Command = {
  name: 'produce',
  summary: "write JSON lines (stdin or files) to a topic, encoded with the topic's formats; all lines are checked before any is sent",
  options: [
    TOPOLOGY,
    {
      name: 'key-format',
      type: 'string',
      description: "format of the keys: string, json, bytes or avro:<schema.avsc> (default: the topology's; string for a topic not in it)",
      value: '<format>',
    },
    {
      name: 'value-format',
      type: 'string',
      description:
        "format of the values: string, json, bytes or avro:<schema.avsc>; required for a topic not in the topology (default: the topology's)",
      value: '<format>',
    },
    {
      name: 'partition',
      type: 'number',
      range: { integer: true, min: 0 },
      short: 'p',
      description: 'partition for lines that name none (default: chosen by key, like any producer)',
      value: '<p>',
    },
    { name: 'dry-run', type: 'boolean', description: 'check every line and say how many records would be produced; send nothing' },
    { name: 'json', type: 'boolean', description: 'print the summary as JSON: {produced, topic, partitions: {<p>: <count>}}' },
  ],
  positionals: [
    TOPIC_ARG,
    { name: 'files', description: 'JSON-lines files to read, in order (default: stdin; - is stdin)', variadic: true },
  ],
  details: [
    'Each line is one record: {"key": …, "value": …, "headers": {"name": "text"}, "partition": 0, "timestamp": <epoch ms>},',
    'of which only "value" is required. Any other JSON value (an object with other fields included) is the value itself,',
    'with no key. Blank lines are skipped. A null value is a tombstone.',
    '',
    'The whole input is read and checked before anything is sent: a line that is not JSON, or does not match the',
    "topic's format or schema (a field the schema lacks counts), stops the command with `line N: <reason>` (exit 1)",
    'and nothing at all is produced.',
    '',
    'Avro is encoded with the schema file as registered under <topic>-key / <topic>-value (its id is looked up;',
    'nothing is registered: run `weir deploy` first). Bytes are base64 text, for bytes topics and for Avro bytes and',
    'fixed fields alike; Avro decimals take exact strings like "12.50". Records go out with an idempotent producer',
    '(acks=all), in input order, and the command waits until every one is acknowledged. A progress bar shows on',
    'stderr when stderr is a terminal and sending takes more than a second.',
  ].join('\n'),
  async run(args, io) {
    const [topic, ...files] = args.positionals as [string, ...string[]];
    const topology = loadTopology(args, io);
    if (!topology) return 1;
    let formats: TopicFormats | undefined;
    try {
      formats = produceFormats(topology.plan, topology.root, topic, {
        key: formatOption(args, 'key-format'),
        value: formatOption(args, 'value-format'),
      });
    } catch (err) {
      if (err instanceof FormatError) throw new UsageError(`--key-format/--value-format: ${err.message}`, 'produce');
      throw err;
    }
    if (!formats)
      throw new UsageError(
        `${topic} is not in the topology${topology.plan ? '' : ' (none found: no topology/*.yaml, no --topology)'}; give its format with --value-format string|json|bytes|avro:<schema.avsc>`,
        'produce',
      );
    for (const part of [formats.key, formats.value])
      if (part.format === 'avro' && !existsSync(join(formats.root, part.schema)))
        throw new UsageError(`no such schema file: ${join(formats.root, part.schema)}`, 'produce');
    const defaultPartition = args.options.partition as number | undefined; // a partition ≥ 0: checked by parseArgs
    const inputs = files.length > 0 ? files : ['-'];
    for (const f of inputs) if (f !== '-' && !existsSync(f)) throw new UsageError(`no such input file: ${f}`, 'produce');

    const conn = kafka('weir-produce');
    const partitions = await partitionCount(conn, topic);
    if (partitions === undefined) {
      io.err(
        `weir produce: topic ${topic} does not exist${topology.plan && findTopic(topology.plan, topic) ? "; `weir deploy` creates the topology's topics" : ''}`,
      );
      return 1;
    }
    if (defaultPartition !== undefined && defaultPartition >= partitions)
      throw new UsageError(`--partition ${defaultPartition}: ${topic} has partitions 0-${partitions - 1}`, 'produce');
    const encoder = await LineEncoder.create(formats, needsRegistry(formats) ? new AvroSerde(registry()) : undefined, partitions);
    if (inputs.includes('-') && process.stdin.isTTY) io.err('reading JSON lines from stdin; end with Ctrl-D');
    let records: OutboundRecord[];
    try {
      records = await encodeLines(
        encoder,
        inputs.map((f) => (f === '-' ? { lines: linesOf(() => process.stdin) } : { name: f, lines: linesOf(() => createReadStream(f)) })),
      );
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      io.err(`weir produce: ${err.message}`);
      io.err('nothing was produced (the whole input is checked before anything is sent)');
      return 1;
    }
    if (defaultPartition !== undefined) for (const r of records) r.partition ??= defaultPartition;

    if (args.options['dry-run']) {
      io.out(
        args.options.json
          ? JSON.stringify({ dryRun: true, records: records.length, topic })
          : `dry run: ${records.length} valid records for ${topic}; nothing was produced`,
      );
      return 0;
    }
    const bar = process.stderr.isTTY ? progress(`producing to ${topic}`) : undefined;
    const started = Date.now();
    const result = await produceRecords(
      conn,
      topic,
      records,
      bar && ((done, total) => (Date.now() - started >= 1_000 ? bar(done, total) : undefined)),
    );
    io.out(
      args.options.json ? JSON.stringify(result) : `produced ${result.produced} record${result.produced === 1 ? '' : 's'} to ${topic}`,
    );
    return 0;
  },
};

export const consumeCommand: Command = {
  name: 'consume',
  summary: "print a topic's records as JSON lines, decoded with the topic's formats; no consumer group, nothing committed",
  options: [
    TOPOLOGY,
    { name: 'from-beginning', type: 'boolean', description: 'start at the oldest record (default: at the end, printing only new records)' },
    {
      name: 'offset',
      type: 'number',
      range: { integer: true },
      short: 'o',
      description: 'start at this offset in each partition read; negative: counted back from the end (clamped to the log)',
      value: '<n>',
    },
    {
      name: 'partition',
      type: 'number',
      range: { integer: true, min: 0 },
      short: 'p',
      description: 'read only this partition (default: all)',
      value: '<p>',
    },
    {
      name: 'count',
      type: 'number',
      range: { integer: true, min: 1 },
      short: 'n',
      description: 'stop after this many records',
      value: '<n>',
    },
    {
      name: 'timeout',
      type: 'string',
      description: 'stop when no record arrives for this long, e.g. 10s (default: wait for ever, or until --count)',
      value: '<duration>',
    },
    {
      name: 'isolation',
      type: 'string',
      description: 'read_committed shows records of committed transactions only',
      choices: ['read_committed', 'read_uncommitted'],
      default: 'read_committed',
      value: '<level>',
    },
    {
      name: 'key-format',
      type: 'string',
      description: "how to read keys: string, json, bytes, avro or auto (default: the topology's; auto for a topic not in it)",
      value: '<format>',
    },
    {
      name: 'value-format',
      type: 'string',
      description: "how to read values: string, json, bytes, avro or auto (default: the topology's; auto for a topic not in it)",
      value: '<format>',
    },
    { name: 'json', type: 'boolean', description: 'add topic, partition, offset, timestamp (epoch ms) and headers to each line' },
  ],
  positionals: [TOPIC_ARG],
  details: [
    'Prints one line per record on stdout: {"key": …, "value": …}. Avro is decoded with the schema each record was',
    'written with (the id in its bytes); bigints are printed as strings, bytes as base64, decimals as exact strings;',
    'a tombstone has "value": null. A record that does not decode is printed with "keyBase64" / "valueBase64" (its',
    'bytes) and "error" (why) instead. `auto` reads Avro when the bytes carry a registered schema id, else JSON, else',
    'text, else base64. Without --json, the lines of records that decode are valid input for `weir produce`.',
    '',
    'Partitions are assigned, not subscribed: no consumer group is joined and no offset is committed. Without',
    '--from-beginning or --offset, records that arrive after the start are printed (read_committed: once their',
    'transaction commits). Stops after --count records (exit 0), when --timeout passes without a record (exit 0;',
    'exit 1 when --count was given and not reached), or on Ctrl-C (exit 0). A summary goes to stderr.',
  ].join('\n'),
  async run(args, io) {
    const [topic] = args.positionals as [string];
    if (args.options['from-beginning'] && args.options.offset !== undefined)
      throw new UsageError('give --from-beginning or --offset, not both', 'consume');
    // Whole numbers in their ranges: checked by parseArgs from the declarations above.
    const offset = args.options.offset as number | undefined;
    const partition = args.options.partition as number | undefined;
    const count = args.options.count as number | undefined;
    let idleTimeoutMs: number | undefined;
    if (args.options.timeout !== undefined) {
      idleTimeoutMs = parseDuration(String(args.options.timeout));
      if (idleTimeoutMs === undefined)
        throw new UsageError(`--timeout expects a duration like 10s or 500ms; got ${JSON.stringify(args.options.timeout)}`, 'consume');
    }
    const topology = loadTopology(args, io);
    if (!topology) return 1;
    let formats;
    try {
      formats = consumeFormats(topology.plan, topic, { key: formatOption(args, 'key-format'), value: formatOption(args, 'value-format') });
    } catch (err) {
      if (err instanceof FormatError) throw new UsageError(`--key-format/--value-format: ${err.message}`, 'consume');
      throw err;
    }
    const parts = [formats.key, formats.value];
    // `auto` reads Avro only when a registry is configured; `avro` needs one.
    let serde: AvroSerde | undefined;
    if (parts.includes('avro')) serde = new AvroSerde(registry());
    else if (parts.includes('auto')) {
      try {
        serde = new AvroSerde(registry());
      } catch {
        serde = undefined;
      }
    }
    const from: StartAt = args.options['from-beginning'] ? 'beginning' : offset !== undefined ? { offset } : 'end';

    const abort = new AbortController();
    let signals = 0;
    const onSignal = () => {
      if (++signals > 1) process.exit(130);
      abort.abort();
    };
    // `weir consume … | head`: the reader went away, so stop like on Ctrl-C.
    const onStdoutError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') abort.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.stdout.on('error', onStdoutError);
    try {
      const result = await consumeTopic(kafka('weir-consume'), {
        topic,
        from,
        isolation: args.options.isolation as IsolationLevel,
        decoder: new RecordDecoder(formats, serde),
        metadata: args.options.json === true,
        ...(partition !== undefined ? { partition } : {}),
        ...(count !== undefined ? { count } : {}),
        ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
        signal: abort.signal,
        onLines: (lines) => {
          if (lines.length > 0 && !abort.signal.aborted) io.out(lines.join('\n'));
        },
      });
      const what = `${result.consumed} record${result.consumed === 1 ? '' : 's'} from ${topic}`;
      if (result.stoppedBy === 'timeout' && count !== undefined) {
        io.err(`weir consume: ${result.consumed} of ${count} records from ${topic}; none arrived for ${String(args.options.timeout)}`);
        return 1;
      }
      io.err(
        `consumed ${what}${result.stoppedBy === 'timeout' ? ` (none arrived for ${String(args.options.timeout)})` : result.stoppedBy === 'signal' ? ' (stopped)' : ''}`,
      );
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stdout.off('error', onStdoutError);
    }
  },
};
