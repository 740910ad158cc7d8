// `weir run`: start the workers of a topology's steps in this process.
import { connectTimeoutMs, databaseUrl, kafka, redisUrl, registry } from '../connections.ts';
import { rootLogger } from '../../observability/logger.ts';
import { serveSupervisor, startThreads, STATIC_ENV, THREAD_ENV } from '../threads.ts';
import { defaultInstanceId, runSteps, selectSteps } from '../workers.ts';
import { serveEndpoints } from '../../observability/server.ts';
import { humanDuration, parseDuration } from '../../topology/spec/index.ts';
import { UsageError } from '../args.ts';
import { hangsOnStop } from '../test-hooks.ts';
import type { Command } from '../command.ts';
import { compileFiles, FILES_ARG, planOrReport } from '../topology-input.ts';

/**
 * Ends the process now. Not process.exit(): a native call that never returns (a consumer close stuck
 * in librdkafka) holds a libuv thread that exit() joins — it would block there forever.
 */
function killSelf(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL');
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the exactly-once workers of the topology (all steps, or those named with --step)',
  options: [
    { name: 'step', type: 'list', short: 's', description: 'steps to run (comma-separated or repeated); default: all', value: '<name>' },
    {
      name: 'instance-id',
      type: 'string',
      description:
        'stable id of this replica (e.g. the pod name): a restart then fences its predecessor at once; default: $WEIR_INSTANCE_ID or <host>-<pid>',
      value: '<id>',
    },
    {
      name: 'session-timeout',
      type: 'string',
      description: 'consumer group session timeout (how fast a dead worker is replaced)',
      default: '45s',
      value: '<duration>',
    },
    {
      name: 'grace-period',
      type: 'string',
      description:
        "how long SIGTERM may take to finish the batch in flight, commit and leave the group; then the process kills itself (keep it below the orchestrator's, e.g. terminationGracePeriodSeconds)",
      default: '30s',
      value: '<duration>',
    },
    {
      name: 'stall-after',
      type: 'string',
      description:
        "an input partition with lag whose committed offset has not moved for this long is stalled (/readyz fails, weir_partition_stalled, an error log); default: max(60s, 2 × the step's transaction timeout)",
      value: '<duration>',
    },
    {
      name: 'isolate-after',
      type: 'number',
      range: { integer: true, min: 1, max: 100 },
      description:
        'identical aborts of a batch (Kafka refusing a record: too large, invalid) before its records go one per transaction and the refused one to the DLQ',
      default: 3,
      value: '<aborts>',
    },
    {
      name: 'metrics-port',
      type: 'number',
      range: { integer: true, min: 0, max: 65535 },
      description: 'port of /metrics, /healthz and /readyz; 0 turns them off',
      default: Number(process.env.WEIR_METRICS_PORT ?? 9464),
      value: '<port>',
    },
    {
      name: 'metrics-host',
      type: 'string',
      description: 'address /metrics, /healthz and /readyz listen on: 127.0.0.1 for this machine only (e.g. behind a sidecar)',
      default: process.env.WEIR_METRICS_HOST ?? '0.0.0.0',
      value: '<address>',
    },
    {
      name: 'delivery',
      type: 'string',
      description: 'at-least-once skips transactions: faster, duplicates after a crash (benchmarks, comparisons)',
      choices: ['exactly-once', 'at-least-once'],
      default: 'exactly-once',
      value: '<mode>',
    },
  ],
  positionals: [FILES_ARG],
  details:
    "Before it first joins, a cluster, registry or database that does not answer within WEIR_CONNECT_TIMEOUT (default 15s) ends it with exit 1, naming the address and the setting; once started it rides out outages. SIGTERM or SIGINT finish the transaction in flight, commit, leave the group and exit 0; should that take longer than --grace-period, or at a second signal, the process kills itself (SIGKILL: a stuck native call cannot block it). A failure that cannot be retried (authorization denied, a topic that does not exist, an invalid setting) stops every worker and exits 1 with the broker's reason.",
  async run(args, io) {
    const sessionTimeoutMs = parseDuration(String(args.options['session-timeout']));
    if (sessionTimeoutMs === undefined)
      throw new UsageError(`--session-timeout expects a duration like 45s; got ${JSON.stringify(args.options['session-timeout'])}`, 'run');
    const stallAfter = args.options['stall-after'] === undefined ? undefined : String(args.options['stall-after']);
    const stallAfterMs = stallAfter === undefined ? undefined : parseDuration(stallAfter);
    if (stallAfter !== undefined && !stallAfterMs)
      throw new UsageError(`--stall-after expects a duration like 2m; got ${JSON.stringify(stallAfter)}`, 'run');
    const isolateAfter = Number(args.options['isolate-after']);
    const graceMs = parseDuration(String(args.options['grace-period']));
    if (!graceMs)
      throw new UsageError(`--grace-period expects a duration like 30s; got ${JSON.stringify(args.options['grace-period'])}`, 'run');
    const compiled = compileFiles(args.positionals, true);
    const plan = compiled.plan ?? planOrReport(args.positionals, io, true);
    if (!plan) return 1;
    const dbUrl = databaseUrl(false);
    const rUrl = redisUrl();
    const logger = rootLogger();
    const instanceId = args.options['instance-id'] ? String(args.options['instance-id']) : defaultInstanceId();
    const chosen = selectSteps(plan, args.options.step as string[] | undefined);
    // In a thread process every step runs here; in `weir run`, steps with threads run in their own.
    const inThread = process.env[THREAD_ENV] !== undefined;
    // Static group membership only with an id that survives a restart: one the operator gave.
    const staticMembership = inThread
      ? process.env[STATIC_ENV] === '1'
      : Boolean(args.options['instance-id']) || Boolean(process.env.WEIR_INSTANCE_ID);
    const threaded = inThread ? [] : chosen.filter((s) => s.threads > 1);
    const local = chosen.filter((s) => !threaded.includes(s));
    const running = await runSteps({
      plan,
      root: compiled.root,
      steps: local.map((s) => s.name),
      kafka: kafka(),
      registry: registry(),
      connectTimeoutMs: connectTimeoutMs(),
      logger,
      ...(dbUrl ? { databaseUrl: dbUrl } : {}),
      ...(rUrl ? { redisUrl: rUrl } : {}),
      instanceId,
      staticMembership,
      sessionTimeoutMs,
      ...(stallAfterMs ? { stallAfterMs } : {}),
      isolateAfter,
      delivery: args.options.delivery as 'exactly-once' | 'at-least-once',
    });
    const threads = threaded.length
      ? startThreads(threaded, {
          args: [
            ...args.positionals,
            '--session-timeout',
            String(args.options['session-timeout']),
            '--delivery',
            String(args.options.delivery),
            '--isolate-after',
            String(isolateAfter),
            '--grace-period',
            String(args.options['grace-period']),
            ...(stallAfter === undefined ? [] : ['--stall-after', stallAfter]),
          ],
          instanceId,
          staticMembership,
          log: logger,
        })
      : undefined;
    const statuses = () => [...running.workers.map((w) => w.status()), ...(threads?.statuses() ?? [])];
    const port = Number(args.options['metrics-port']);
    const host = String(args.options['metrics-host']);
    const endpoints =
      port > 0
        ? await serveEndpoints(port, statuses, host, threads?.metrics).catch((err: Error) => {
            logger.error(
              { host, port, err: err.message },
              'cannot serve /metrics, /healthz, /readyz on this address and port (another process has it, or not an address of this machine?); running without them — choose with --metrics-host and --metrics-port',
            );
            return undefined;
          })
        : undefined;
    if (endpoints) logger.info({ host: endpoints.host, port: endpoints.port }, 'serving /metrics, /healthz and /readyz');
    const stopAll = async () => {
      if (hangsOnStop()) await new Promise(() => undefined);
      await Promise.all([running.stop(), threads?.stop()]);
      await endpoints?.close();
    };
    return new Promise<number>((resolve) => {
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          logger.warn({ signal }, 'second signal: exiting now');
          killSelf();
        }
        logger.info({ signal, gracePeriodMs: graceMs }, 'stopping: finishing the batch in flight');
        const bound = setTimeout(() => {
          const why = `did not stop within the grace period (${humanDuration(graceMs)}); killing the process`;
          logger.error(why);
          io.err(`weir run: ${why}`); // stderr is written synchronously; the log line may still sit in a buffer
          killSelf();
        }, graceMs);
        void stopAll().then(() => {
          clearTimeout(bound);
          resolve(0);
        });
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      // Until here a signal's default action ends the process (exit by the signal, nothing in flight);
      // from here on it stops gracefully. Supervisors and tests wait for this line before a stop.
      logger.info({ steps: local.length, threads: threaded.length }, 'running: SIGTERM or SIGINT stop it gracefully from now on');
      if (inThread && process.send) serveSupervisor(statuses, () => signals === 0 && onSignal('SIGTERM'));
      // A worker that stopped on a fatal failure (denied, missing topic, bad setting), or a thread
      // that ended, ends the process.
      const failure = running.failed.then((w) => `step ${w.stepName}: ${w.failure!.message}`);
      void Promise.race(threads ? [failure, threads.failed] : [failure]).then(async (reason) => {
        if (signals > 0) return;
        io.err(`weir run: ${reason}`);
        await stopAll();
        resolve(1);
      });
    });
  },
};
