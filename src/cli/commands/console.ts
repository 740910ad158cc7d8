// `weir console`: the web console for a topology's pipelines, served by this process.
import { registerSecrets } from '../../config/redact.ts';
import { startConsole } from '../../console/server.ts';
import { UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { databaseUrl, kafka, registry } from '../connections.ts';
import { compileFiles, FILES_ARG, planOrReport } from '../topology-input.ts';

/** The token that confirms an action in the console: a secret, set by the operator, never printed. */
export const CONSOLE_TOKEN_KEY = 'WEIR_CONSOLE_TOKEN';

export const consoleCommand: Command = {
  name: 'console',
  summary: 'serve the web console: the pipeline graph, live lag, retry tiers, the DLQ explorer, redrive and purge',
  options: [
    {
      name: 'port',
      type: 'number',
      range: { integer: true, min: 0, max: 65535 },
      description: 'port to listen on (0: any free one)',
      default: 8080,
      value: '<port>',
    },
    {
      name: 'host',
      type: 'string',
      description: 'address to listen on: 127.0.0.1 keeps it on this machine',
      default: '127.0.0.1',
      value: '<address>',
    },
    {
      name: 'workers',
      type: 'list',
      description:
        "base URLs of the workers' /metrics and /readyz (comma-separated or repeated), for transactions and stalled partitions; default: http://127.0.0.1:9464",
      value: '<url>',
    },
    {
      name: 'enable-actions',
      type: 'boolean',
      description: `allow redrive and purge, each confirmed with the token in $${CONSOLE_TOKEN_KEY}; without it the console is read-only`,
    },
  ],
  positionals: [FILES_ARG],
  details: `Uses the same connection settings as the other commands (weir env). Actions are dry runs until confirmed with the token; they claim the step (exclusive with the CLI) and are audited in weir.audit. Replay is planned here and executed with weir replay --execute.`,
  async run(args, io) {
    const token = args.options['enable-actions'] ? process.env[CONSOLE_TOKEN_KEY] : undefined;
    if (args.options['enable-actions'] && (!token || token.length < 12))
      throw new UsageError(
        `--enable-actions needs ${CONSOLE_TOKEN_KEY} set to a token of at least 12 characters (operators type it to confirm an action)`,
        'console',
      );
    registerSecrets([token]);
    const compiled = compileFiles(args.positionals);
    const plan = compiled.plan ?? planOrReport(args.positionals, io);
    if (!plan) return 1;
    const workers = ((args.options.workers as string[] | undefined) ?? ['http://127.0.0.1:9464']).map((u) => u.replace(/\/+$/, ''));
    const db = databaseUrl(false);
    const server = await startConsole(
      {
        plan,
        kafka: kafka('weir-console'),
        registry: registry(),
        workers,
        ...(db ? { databaseUrl: db } : {}),
        ...(token ? { token } : {}),
      },
      Number(args.options.port),
      String(args.options.host),
    );
    io.out(`weir console: ${server.url} (${token ? 'actions on: confirm each with the token' : 'read-only'}); Ctrl-C stops it`);
    return new Promise<number>((resolve) => {
      const stop = () => void server.close().then(() => resolve(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  },
};
