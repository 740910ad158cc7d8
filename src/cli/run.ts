// Dispatch, --help, --version and exit codes (0 ok, 1 failed, 2 usage).
import { readFileSync } from 'node:fs';
import { readConnectionValues } from '../config/connection.ts';
import { SECRET_KEYS } from '../config/kafka.ts';
import { redactText, registerSecrets, secretsOfSettings } from '../config/redact.ts';
import { didYouMean } from '../topology/diagnostics.ts';
import { formatHelp, parseArgs, UsageError } from './args.ts';
import type { Command, Io } from './command.ts';
import { SUMMARIES } from './summaries.ts';
import { setOutputRedaction } from '../observability/logger.ts';

// Command modules load when their command runs: `weir validate` runs offline and should not pay for
// loading the Kafka client, pg, ioredis and prom-client (it takes about half the time without them).
type Module = Record<string, unknown>;
const topology = () => import('./commands/topology.ts') as Promise<Module>;
const dlq = () => import('./commands/dlq.ts') as Promise<Module>;
const operate = () => import('./commands/operate.ts') as Promise<Module>;
const schemas = () => import('./commands/schemas.ts') as Promise<Module>;
const MODULES: Record<string, () => Promise<Module>> = {
  validate: topology,
  plan: topology,
  graph: topology,
  deploy: () => import('./commands/deploy.ts') as Promise<Module>,
  run: () => import('./commands/run.ts') as Promise<Module>,
  lag: operate,
  replay: operate,
  'schemas check': schemas,
  'schemas push': schemas,
  'dlq list': dlq,
  'dlq stats': dlq,
  'dlq show': dlq,
  'dlq redrive': dlq,
  'dlq purge': dlq,
  'schema-json': topology,
  env: () => import('./commands/env.ts') as Promise<Module>,
  test: () => import('./commands/test.ts') as Promise<Module>,
  produce: () => import('./commands/topic-io.ts') as Promise<Module>,
  consume: () => import('./commands/topic-io.ts') as Promise<Module>,
  'stack up': () => import('./commands/stack.ts') as Promise<Module>,
  'stack down': () => import('./commands/stack.ts') as Promise<Module>,
  'stack status': () => import('./commands/stack.ts') as Promise<Module>,
  init: () => import('./commands/init.ts') as Promise<Module>,
  console: () => import('./commands/console.ts') as Promise<Module>,
};
export const COMMAND_NAMES = Object.keys(MODULES);
const known = (name: string) => Object.hasOwn(MODULES, name);

const isCommand = (v: unknown): v is Command => typeof v === 'object' && v !== null && 'name' in v && 'run' in v;

export async function loadCommand(name: string): Promise<Command> {
  if (!known(name)) throw new Error(`unknown command ${name}`);
  const found = Object.values(await MODULES[name]!()).find((v) => isCommand(v) && v.name === name);
  if (!isCommand(found)) throw new Error(`no command ${name} in its module`);
  return found;
}

const version = () => (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function topHelp(): string {
  const width = Math.max(...COMMAND_NAMES.map((n) => n.length)) + 2;
  return [
    'weir — exactly-once stream processing for Kafka, described in topology files',
    '',
    'usage: weir <command> [options]',
    '',
    'commands:',
    ...COMMAND_NAMES.map((n) => `  ${n.padEnd(width)} ${SUMMARIES[n] ?? ''}`),
    '',
    'weir <command> --help shows the options of one command; weir --version prints the version.',
  ].join('\n');
}

/** `weir dlq --help`: the subcommands of a group, each with its summary. */
function groupHelp(group: string, names: string[]): string {
  const subs = names.map((n) => n.slice(group.length + 1));
  const width = Math.max(...subs.map((n) => n.length)) + 2;
  return [
    `usage: weir ${group} <command> [options]`,
    '',
    'commands:',
    ...names.map((n, i) => `  ${subs[i]!.padEnd(width)} ${SUMMARIES[n] ?? ''}`),
    '',
    `weir ${group} <command> --help shows the options of one command.`,
  ].join('\n');
}

const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h');

/** Settings whose whole value is a secret: the Kafka ones weir reads, and any named like one. */
const isSecretSetting = (key: string) => SECRET_KEYS.has(key) || /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|CREDENTIALS?)$/i.test(key);

export async function runCli(argv: string[], raw: Io): Promise<number> {
  // Everything a command prints passes the redaction layer; the process's secrets are registered
  // before any command reads a setting.
  registerSecrets(secretsOfSettings(readConnectionValues(), isSecretSetting));
  setOutputRedaction(redactText);
  const io: Io = { out: (t) => raw.out(redactText(t)), err: (t) => raw.err(redactText(t)) };
  // Two-word commands (`schemas check`) take precedence over one-word ones.
  const twoWords = argv.length >= 2 && COMMAND_NAMES.includes(`${argv[0]} ${argv[1]}`);
  const name = twoWords ? `${argv[0]} ${argv[1]}` : argv[0];
  const rest = argv.slice(twoWords ? 2 : 1);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.out(version());
    return 0;
  }
  const group = COMMAND_NAMES.filter((n) => n.startsWith(`${name} `));
  if (!known(name) && group.length > 0) {
    // Asking for help is not a usage error: exit 0, as for every command.
    if (wantsHelp(rest)) {
      io.out(groupHelp(name, group));
      return 0;
    }
    io.err(
      `weir ${name}: expected a subcommand: ${group.map((n) => n.split(' ')[1]).join(', ')}${argv[1] ? `; got ${JSON.stringify(argv[1])}` : ''}`,
    );
    return 2;
  }
  if (!known(name)) {
    const guess = didYouMean(name, COMMAND_NAMES);
    io.err(
      `weir: unknown command ${JSON.stringify(name)}${guess ? ` — did you mean \`${guess}\`?` : ''}; expected one of: ${COMMAND_NAMES.join(', ')}`,
    );
    return 2;
  }
  const command = await loadCommand(name);
  if (wantsHelp(rest)) {
    io.out(formatHelp(command.name, command.summary, command.options, command.positionals, command.details));
    return 0;
  }
  try {
    return await command.run(parseArgs(command.name, command.options, command.positionals, rest), io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`weir ${err.command}: ${err.message}\n(see weir ${err.command} --help)`);
      return 2;
    }
    io.err(`weir ${command.name}: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.WEIR_DEBUG && err instanceof Error) io.err(err.stack ?? '');
    return 1;
  }
}
