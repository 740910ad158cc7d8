// Distinct secrets planted in every source weir reads — an HTTP sink URL's userinfo and query and a
// credential header (substituted from the environment), a receiver echoing them back, the database,
// Redis and Kafka passwords (with failing authentication for Redis and Kafka, and an unreachable
// database) — and every output channel grepped for them: stdout and stderr of the CLI and of workers
// logging at debug, /metrics, DLQ records and headers, and the audit topic. The receiver's log shows
// the secrets were really sent, so the channels could have carried them.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { eventRecords, makeEvents } from '../helpers/events.ts';
import { produceAll, readAll } from '../helpers/kafka.ts';
import { createPipeline } from '../helpers/pipeline.ts';
import { scram, services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';

const WEIR = fileURLToPath(new URL('../../bin/weir.js', import.meta.url));

const SECRET = {
  query: 'pl4nted-query-k3y',
  userinfo: 'pl4nted-userinfo-pw',
  header: 'pl4nted-header-t0ken',
  database: 'pl4nted-db-passw0rd',
  redis: 'pl4nted-redis-passw0rd',
  kafka: 'pl4nted-sasl-passw0rd',
  partnerKey: 'pl4nted-partner-k3y',
  partnerPassword: 'pl4nted-partner-passw0rd',
};

/** Whatever a failed or timed-out test left running. */
const children = new Set<ReturnType<typeof spawn>>();
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

const BASIC = Buffer.from(`hook:${SECRET.userinfo}`).toString('base64');

/** Runs `weir …` with `env` until it exits, or until `stopWhen` says so (then SIGTERM), capturing all output. */
async function weir(
  env: Record<string, string>,
  argv: string[],
  stopWhen?: (output: string) => Promise<boolean>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [WEIR, ...argv], {
    env: { ...process.env, ...services(), WEIR_ENV_FILE: '/nonexistent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', r));

  if (stopWhen) {
    const done = await Promise.race([
      exited.then(() => 'exited' as const),
      waitFor(() => stopWhen(output), { timeoutMs: 90_000, what: `weir ${argv[0]}` }).catch((err: Error) => {
        child.kill('SIGKILL');
        throw new Error(`${err.message}; its output ends: ${output.slice(-1_500)}`);
      }),
    ]);
    if (done !== 'exited') child.kill('SIGTERM');
  }
  return { code: await exited, output };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

const received: string[] = [];
const echo = createServer((req, res) => {
  const seen = `denied: url=${req.url} authorization=${req.headers.authorization} x-api-token=${req.headers['x-api-token']}`;
  received.push(seen);
  req.resume();
  res.writeHead(401, { 'content-type': 'text/plain' });
  res.end(seen);
});
afterAll(() => new Promise<void>((r) => echo.close(() => r())));

describe('planted secrets', { timeout: 300_000 }, () => {
  it('appear in no output channel', async () => {
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const port = (echo.address() as AddressInfo).port;
    const p = await createPipeline(
      (id) => `pipeline: s${id}
topics:
  in.${id}: { partitions: 2, value: schemas/Event.avsc }
  out.${id}: { partitions: 2, value: schemas/Event.avsc }
steps:
  leaky-${id}:
    input: in.${id}
    transform: transforms/events.ts#leaky
    outputs: [out.${id}]
    retry: { delays: [200ms] }
  notify-${id}:
    input: in.${id}
    sink:
      http:
        url: http://hook:\${HOOK_PASS}@127.0.0.1:${port}/notify?api_key=\${HOOK_KEY}&region=eu
        headers: { X-Api-Token: "\${HOOK_TOKEN}" }
        timeout: 5s
    batch: { records: 50, time: 50ms }
    retry: { delays: [200ms] }
    rateLimit: { perSecond: 1000, burst: 1000, scope: redis }
`,
    );
    const step = p.plan.steps.find((x) => x.kind === 'http')!;
    const leaky = p.plan.steps.find((x) => x.name.startsWith('leaky'))!;
    const s = services();
    const env = {
      HOOK_KEY: SECRET.query,
      HOOK_PASS: SECRET.userinfo,
      HOOK_TOKEN: SECRET.header,
      // Read by a transform, which logs them and puts them into its error messages.
      PARTNER_API_KEY: SECRET.partnerKey,
      PARTNER_PASSWORD: SECRET.partnerPassword,
      // Trust authentication locally: the password is carried but not checked.
      DATABASE_URL: s.DATABASE_URL.replace(/:\/\/(\w+)@/, `://$1:${SECRET.database}@`),
      WEIR_LOG_LEVEL: 'debug',
    };
    const outputs: Array<[string, string]> = [];
    const events = makeEvents(20, 4);
    await produceAll(await eventRecords(p.topic('in'), events));

    // A worker at debug: every record is refused with the echo, and dead-lettered.
    let metrics = '';
    const metricsPort = await freePort();
    const run = await weir(
      env,
      ['run', p.file, '--instance-id', 'planted', '--metrics-port', String(metricsPort), '--metrics-host', '127.0.0.1'],
      async () => {
        if ((await readAll(step.retry.dlq)).length < events.length) return false;
        if ((await readAll(leaky.retry.dlq)).length < events.length) return false;
        metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return true;
      },
    );
    outputs.push(['weir run (debug logs)', run.output], ['/metrics', metrics]);
    expect(received.length).toBeGreaterThanOrEqual(events.length);
    // The proof the channels could have carried them: the receiver saw all three (the userinfo as
    // basic authentication).
    const seen = received.join('\n');
    expect(seen).toContain(SECRET.query);
    expect(seen).toContain(SECRET.header);
    expect(seen).toContain(`Basic ${BASIC}`);
    expect(metrics).toContain('weir_');

    // CLI output, and the audit topic after a purge.
    for (const argv of [
      ['env'],
      ['plan', p.file],
      ['graph', p.file],
      ['dlq', 'stats', p.file, '--step', step.name],
      ['dlq', 'show', p.file, '--step', step.name, '--json'],
      ['dlq', 'show', p.file, '--step', leaky.name, '--json'],
      ['dlq', 'purge', p.file, '--step', step.name, '--execute', '--yes'],
    ]) {
      const r = await weir(env, argv);
      expect(r.code, `weir ${argv.join(' ')}: ${r.output}`).toBe(0);
      outputs.push([`weir ${argv.join(' ')}`, r.output]);
    }
    const dlq = await readAll(step.retry.dlq);
    expect(dlq.map((r) => r.headers.find((h) => h.key === 'weir.error.message')?.value.toString())).toEqual(
      Array(dlq.length).fill(
        expect.stringMatching(/^HTTP 401: denied: url=\/notify\?api_key=\*\*\*&region=eu authorization=\*\*\* x-api-token=\*\*\*$/),
      ),
    );
    outputs.push([
      'DLQ records and headers',
      JSON.stringify(
        dlq.map((r) => ({ value: r.value?.toString('latin1'), headers: r.headers.map((h) => `${h.key}=${h.value.toString()}`) })),
      ),
    ]);
    const leaked = await readAll(leaky.retry.dlq);
    // The layer, not the sink's own masking: a transform's message, with the registered secrets masked.
    expect(leaked[0]!.headers.find((h) => h.key === 'weir.error.message')?.value.toString()).toMatch(
      /^partner refused e\d+ at https:\/\/svc:\*\*\*@partner\.example\/v1\?api_key=\*\*\* \(key \*\*\*\)$/,
    );
    outputs.push([
      'leaky DLQ records and headers',
      JSON.stringify(leaked.map((r) => r.headers.map((h) => `${h.key}=${h.value.toString()}`))),
    ]);
    expect(run.output).toContain('calling https://svc:***@partner.example');
    outputs.push(['audit topic', (await readAll('weir.audit')).map((r) => r.value?.toString()).join('\n')]);

    // Failing authentication and an unreachable database: the errors name what failed, not the secret.
    const sasl = scram();
    const kafkaAuth = await weir(
      {
        ...env,
        KAFKA_BOOTSTRAP_SERVERS: sasl.bootstrap,
        KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
        KAFKA_SASL_MECHANISM: sasl.mechanism,
        KAFKA_SASL_USERNAME: sasl.username,
        KAFKA_SASL_PASSWORD: SECRET.kafka,
      },
      ['lag', p.file],
    );
    expect(kafkaAuth.code).toBe(1);
    outputs.push(['failing Kafka authentication', kafkaAuth.output]);
    // A Redis that requires a password (the local one requires none, and ioredis then ignores one).
    const redisPort = await freePort();
    const guarded = spawn(
      'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--requirepass', 'the-real-one', '--save', ''],
      {
        stdio: 'ignore',
      },
    );
    // Registered with the file's afterAll above: an afterAll called inside a test never runs.
    children.add(guarded);
    await waitFor(
      () =>
        new Promise<boolean>((r) => {
          const c = connect(redisPort, '127.0.0.1', () => (c.destroy(), r(true)));
          c.on('error', () => r(false));
        }),
      { timeoutMs: 10_000, what: 'redis-server with a password' },
    );
    const redisAuth = await weir({ ...env, REDIS_URL: `redis://:${SECRET.redis}@127.0.0.1:${redisPort}` }, [
      'run',
      p.file,
      '--instance-id',
      'planted-redis',
      '--metrics-port',
      '0',
    ]);
    expect(redisAuth.code).toBe(1);
    expect(redisAuth.output).toMatch(/Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused the credentials: WRONGPASS/);
    outputs.push(['failing Redis authentication', redisAuth.output]);
    const database = await weir(
      { ...env, DATABASE_URL: `postgres://weir:${SECRET.database}@127.0.0.1:1/weir?sslpassword=${SECRET.database}` },
      ['stack', 'status'],
    );
    expect(database.output).toMatch(/postgres +down/);
    outputs.push(['unreachable database', database.output]);

    const leaks = outputs.flatMap(([channel, text]) =>
      Object.entries({ ...SECRET, basic: BASIC }).flatMap(([name, v]) =>
        text.includes(v) || text.includes(encodeURIComponent(v)) ? [`${name} in ${channel}`] : [],
      ),
    );
    expect(leaks).toEqual([]);
    console.log(`grepped ${outputs.length} channels, ${outputs.reduce((n, [, t]) => n + t.length, 0)} characters`);
  });
});
