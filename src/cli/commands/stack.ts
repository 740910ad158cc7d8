// `weir stack up | down | status`: the local stack (Kafka, Apicurio Registry, Postgres, Redis) of
// the project weir runs in, without Docker; `--compose` hands the containers to Docker Compose.
import { relative } from 'node:path';
import { compose, composeFile } from '../../stack/compose.ts';
import { stackPaths } from '../../stack/paths.ts';
import { isBrokerCount, type BrokerCount } from '../../stack/kafka-config.ts';
import { StackError } from '../../stack/proc.ts';
import type { ServiceReport } from '../../stack/report.ts';
import { stackDown, stackStatus, stackUp } from '../../stack/stack.ts';
import { UsageError, type OptionSpec } from '../args.ts';
import { JSON_OPTION, type Command, type Io } from '../command.ts';

const COMPOSE_OPTION: OptionSpec = {
  name: 'compose',
  type: 'boolean',
  description: "run the services with Docker Compose (needs a Docker engine; untested: weir's CI has none)",
};

const BROKERS_OPTION: OptionSpec = {
  name: 'brokers',
  type: 'string',
  value: '<n>',
  choices: ['1', '3'],
  description: "Kafka nodes, each broker and controller in one JVM; default: the count this project's stack has, else 1",
};

const PURGE_OPTION: OptionSpec = {
  name: 'purge',
  type: 'boolean',
  description: "after stopping, delete this project's Kafka data (every topic, offset and transaction); needed to change --brokers",
};

const BROKERS = `--brokers 3 runs three Kafka nodes in KRaft combined mode (each broker and controller, node ids 1..3,
a static quorum of all three) with replication factor 3 and min.insync.replicas 2 for topics and the
offsets, transaction and share-state logs, so one node can die and transactions still commit. Node 1
keeps the ports below; nodes 2 and 3 use the same ones plus 10 and 20 (19102/19103/19104,
19112/19113/19114). KAFKA_BOOTSTRAP_SERVERS lists all three. Data in .weir/stack/kafka/node-<n>,
logs in logs/kafka-<n>.log. The count is remembered: a later \`weir stack up\` keeps it. A stack whose
Kafka data was formatted for the other count refuses to start; \`weir stack down --purge\` resets it.`;

const WHERE = `The project is the nearest folder with a package.json or .git at or above the working directory.
Per project: data, logs and process state in <project>/.weir/stack ($WEIR_STACK_DIR), the connection
settings in <project>/.weir/stack.env ($WEIR_ENV_FILE). Per user: the Kafka and Apicurio downloads
(Maven Central, fetched with mvn) in ~/.cache/weir/stack ($WEIR_STACK_CACHE, $XDG_CACHE_HOME).
Ports: Kafka 19092 ($WEIR_KAFKA_PORT), SCRAM listener 19094 ($WEIR_KAFKA_SCRAM_PORT), controller 19093
($WEIR_KAFKA_CONTROLLER_PORT), registry 18081 ($WEIR_REGISTRY_PORT) and its management interface 18082
($WEIR_REGISTRY_MANAGEMENT_PORT); Postgres and Redis are the machine's own ($DATABASE_URL, $REDIS_URL).
Needs Java 21+ and Maven, or --compose. One stack per machine at a time on the same ports: a project
whose services already answer reuses them.`;

function brokerCount(raw: unknown): BrokerCount | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!isBrokerCount(n)) throw new UsageError(`--brokers must be 1 or 3; got ${JSON.stringify(raw)}`, 'stack up');
  return n;
}

/** A path relative to the working directory when it is inside it, else absolute. */
function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') ? r : path;
}

function table(reports: ServiceReport[]): string {
  return reports
    .map((r) => {
      const bits = [r.name.padEnd(9), r.status.padEnd(8), r.endpoint];
      if (r.pid) bits.push(`pid ${r.pid}`);
      if (r.seconds !== undefined && r.status === 'started') bits.push(`${r.seconds} s`);
      if (r.detail) bits.push(`— ${r.detail}`);
      if (r.log && r.status !== 'external') bits.push(`log: ${shown(r.log)}`);
      return '  ' + bits.join('  ');
    })
    .join('\n');
}

/** Runs `body`; a stack failure is printed with the project it concerns. */
async function withProject(name: string, io: Io, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (!(err instanceof StackError)) throw err;
    const p = stackPaths();
    io.err(`weir ${name}: ${err.message}\n(project: ${p.project}; stack data and logs: ${p.dir})`);
    return 1;
  }
}

export const stackUpCommand: Command = {
  name: 'stack up',
  summary: "start this project's local stack (Kafka, registry, Postgres, Redis) and write .weir/stack.env",
  options: [JSON_OPTION, COMPOSE_OPTION, BROKERS_OPTION],
  positionals: [],
  details: `Starts what is not running, reuses what already answers, waits until each service really answers
(Kafka: metadata and a transactional round trip; registry HTTP; SELECT 1; PING), then writes the
connection settings that every weir command run in this project reads. A second run takes seconds.
--compose first runs \`docker compose up -d --wait\` with the project's compose file (else weir's own
docker-compose.yml), then reuses those containers. Exit 0 up, 1 failed (with the log to read).

${BROKERS}

${WHERE}`,
  async run(args, io) {
    const json = Boolean(args.options.json);
    const brokers = brokerCount(args.options.brokers);
    if (args.options.compose && brokers === 3) {
      throw new UsageError('--compose runs the compose file, which has one broker; --brokers 3 is for the native stack', 'stack up');
    }
    return withProject('stack up', io, async () => {
      const t0 = Date.now();
      if (args.options.compose) compose(composeFile(stackPaths().project), ['up', '-d', '--wait']);
      const result = await stackUp({ brokers, progress: (line) => (json ? io.err : io.out)(`  ${line}`) });
      if (json) io.out(JSON.stringify(result, null, 2));
      else
        io.out(
          `\nweir local stack is up (${((Date.now() - t0) / 1000).toFixed(1)} s):\n${table(result.services)}\nconnection settings: ${shown(result.envFile)}`,
        );
      return 0;
    });
  },
};

export const stackDownCommand: Command = {
  name: 'stack down',
  summary: "stop what this project's stack started (the machine's own Postgres and Redis stay up)",
  options: [JSON_OPTION, COMPOSE_OPTION, PURGE_OPTION],
  positionals: [],
  details: `Services that were already running, or that another project started, are left alone. Every Kafka
node of the stack is stopped (all three with --brokers 3).
--compose also runs \`docker compose down\` (volumes are kept).
--purge then deletes this project's Kafka data (.weir/stack/kafka): the next \`weir stack up\` formats a
new cluster, with the broker count it is given. Schemas (in Postgres) and Postgres tables stay.

${WHERE}`,
  async run(args, io) {
    return withProject('stack down', io, async () => {
      if (args.options.compose) compose(composeFile(stackPaths().project), ['down']);
      const reports = await stackDown({ purge: Boolean(args.options.purge) });
      io.out(args.options.json ? JSON.stringify(reports, null, 2) : table(reports));
      return 0;
    });
  },
};

export const stackStatusCommand: Command = {
  name: 'stack status',
  summary: 'show which stack services answer where, and which this project started',
  options: [JSON_OPTION],
  positionals: [],
  details: `running: started by this project's stack; external: answering, started by something else; down: not answering.
Each Kafka node has its own line (kafka-1..3 with --brokers 3). Exit 0 when every service answers, 1 otherwise.

${WHERE}`,
  async run(args, io) {
    return withProject('stack status', io, async () => {
      const reports = await stackStatus();
      io.out(args.options.json ? JSON.stringify(reports, null, 2) : table(reports));
      return reports.every((r) => r.status !== 'down') ? 0 : 1;
    });
  },
};
