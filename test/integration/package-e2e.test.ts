// weir as a team gets it, end to end: `npm pack` builds the package; in an empty folder
// `npm install <the tarball>` then `npx weir init` writes the team's repository (its package.json
// keeps the dependency), and `npm install` brings TypeScript. Then, with every service variable on
// a closed port and no .weir/stack.env, `npm test` (weir validate && weir test) and
// `npm run typecheck` (tsc over the transform that imports from 'weir') pass; so do tsc and
// `weir test` for a CommonJS copy of the transform. Against the real stack (its settings written to
// the repository's .weir/stack.env, as `weir stack up` does): `weir deploy`, `weir run`, 1,000
// records through `weir produce`, the same 1,000 transformed out of `weir consume`, an invalid
// record in the step's DLQ, and the worker stops on SIGTERM with exit 0.
//
// The pack and the installs (which build the native Kafka client from source when no prebuilt
// binary is reachable: minutes) run once, in beforeAll; the tests share the repository, in order.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEnvFile } from '../../src/config/connection.ts';
import { services } from '../helpers/services.ts';
import { waitFor } from '../helpers/wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MINUTE = 60_000;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * The environment of a user's shell: nothing of this test run's npm, vitest or weir settings (a
 * parent `npm run` exports npm_config_* that would steer the nested npm), no service settings.
 */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const drop = /^(npm_|VITEST|NODE_ENV$|NODE_OPTIONS$|TSX_|WEIR_|KAFKA_|SCHEMA_REGISTRY_|DATABASE_URL$|REDIS_URL$)/i;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !drop.test(k))) as Record<
    string,
    string
  >;
  return { ...env, ...extra };
}

/** As scripts/setup.sh installs: the Kafka client builds against the system libraries, with Node's installed headers. */
const INSTALL_ENV: Record<string, string> = {
  CKJS_LINKING: 'dynamic',
  ...(process.env.npm_config_nodedir
    ? { npm_config_nodedir: process.env.npm_config_nodedir }
    : existsSync('/usr/include/node/node.h')
      ? { npm_config_nodedir: '/usr' }
      : {}),
};

/** Every service on a port where nothing listens. */
const CLOSED = {
  KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9/apis/ccompat/v7',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:9/weir',
  REDIS_URL: 'redis://127.0.0.1:9',
};

/** Runs a command to its end (killed at the deadline); `input` goes to its stdin. */
function exec(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string>; input?: string; timeoutMs: number },
): Promise<Result> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdin.on('error', () => undefined);
    proc.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${opts.timeoutMs} ms\n${tail(stdout)}\n${tail(stderr)}`));
    }, opts.timeoutMs);
    proc.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const tail = (text: string, chars = 4_000) => (text.length > chars ? `…${text.slice(-chars)}` : text);
const describeRun = (what: string, r: Result) =>
  `${what}: exit ${r.code ?? r.signal}\n--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`;

/** Runs a command that must succeed; returns its result. */
async function ok(what: string, cmd: string, args: string[], opts: Parameters<typeof exec>[2]): Promise<Result> {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0) throw new Error(describeRun(what, r));
  return r;
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// The run's layout: <tmp>/weir/ the copy that is packed, <tmp>/pack/weir-<version>.tgz,
// <tmp>/payments-pipelines/ the team's repository, <tmp>/cjs/ the CommonJS check.
let tmp = '';
let app = '';
let pipeline = '';
let packed: { filename: string; files: Array<{ path: string }> } | undefined;
const timings: Record<string, number> = {};
let worker: ReturnType<typeof spawn> | undefined;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'weir-package-e2e-'));
  const packDir = join(tmp, 'pack');
  mkdirSync(packDir);
  // Unique per run: topics, subjects, the consumer group and transactional ids all derive from it.
  pipeline = `e2e-${Date.now().toString(36)}-${process.pid}`;
  app = join(tmp, 'payments-pipelines');
  mkdirSync(app);

  // 1. The package, built by prepack (`npm run build`), as `npm publish` would make it. Packed from a
  // copy of the working tree: the build empties and rewrites dist/, which test/unit/package reads
  // (they may run meanwhile) and a developer may be using.
  const source = join(tmp, 'weir');
  const LEFT_OUT = new Set(['node_modules', 'dist', '.git', '.weir', 'scratch', 'coverage']);
  cpSync(ROOT, source, { recursive: true, filter: (from) => !LEFT_OUT.has(relative(ROOT, from).split(sep)[0]!) });
  symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'), 'dir');
  const pack = await ok('npm pack', 'npm', ['pack', '--pack-destination', packDir, '--json'], {
    cwd: source,
    env: cleanEnv(),
    timeoutMs: 5 * MINUTE,
  });
  timings.pack = pack.ms;
  // Lifecycle scripts print to stderr with --json; be lenient about a line before the JSON all the same.
  const json = pack.stdout.slice(pack.stdout.search(/^\[/m));
  packed = (JSON.parse(json) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  const tarball = join(packDir, packed.filename);
  expect(existsSync(tarball)).toBe(true);
  expect(existsSync(join(source, 'dist', 'cli', 'main.js'))).toBe(true); // prepack built it

  // 2. What a user does in an empty folder (docs/getting-started.md): install weir, init, install.
  const installWeir = await ok('npm install <tarball>', 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
    cwd: app,
    env: cleanEnv(INSTALL_ENV),
    timeoutMs: 12 * MINUTE,
  });
  timings.installWeir = installWeir.ms;
  // npm wrote the folder's package.json with the dependency and nothing else: weir init merges it.
  expect(Object.keys(JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as object)).toEqual(['dependencies']);

  const init = await ok('npx weir init', 'npx', ['weir', 'init', '--name', pipeline, '--json'], {
    cwd: app,
    env: cleanEnv(),
    timeoutMs: 2 * MINUTE,
  });
  timings.init = init.ms;
  const result = JSON.parse(init.stdout) as { pipeline: string; files: string[]; merged: string[]; overwritten: string[] };
  expect(result.pipeline).toBe(pipeline);
  expect(result.merged).toEqual(['package.json']);
  expect(result.overwritten).toEqual([]);
  expect(result.files).toEqual(expect.arrayContaining([`topology/${pipeline}.yaml`, `transforms/${pipeline}.ts`, 'tsconfig.json']));

  const install = await ok('npm install', 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: app,
    env: cleanEnv(INSTALL_ENV),
    timeoutMs: 12 * MINUTE,
  });
  timings.install = install.ms;
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
    type: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  expect(manifest.type).toBe('module');
  expect(manifest.dependencies.weir).toMatch(/^file:.*\.tgz$/); // the user's own dependency won over the scaffold's ^version
  expect(Object.keys(manifest.devDependencies).sort()).toEqual(['@types/node', 'typescript']);
  // Installed, weir has no sources: bin/weir.js runs dist/.
  expect(existsSync(join(app, 'node_modules/weir/dist/cli/main.js'))).toBe(true);
  expect(existsSync(join(app, 'node_modules/weir/src'))).toBe(false);
}, 25 * MINUTE);

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  const t = timings;
  const phases = [
    ['pack', t.pack],
    ['npm install <tarball>', t.installWeir],
    ['weir init', t.init],
    ['npm install', t.install],
    ['npm test', t.npmTest],
    ['npm run typecheck', t.typecheck],
    ['CommonJS tsc + weir test', t.cjs],
    ['deploy', t.deploy],
    ['run → assigned', t.assigned],
    ['produce 1,000', t.produce],
    ['consume 1,000', t.consume],
    ['DLQ', t.dlq],
    ['SIGTERM → exit', t.stop],
    ['deploy → consume (total)', t.stack],
  ].filter((p): p is [string, number] => p[1] !== undefined);
  console.log(`package e2e: ${phases.map(([name, ms]) => `${name} ${seconds(ms)}`).join(', ')}`);
});

describe('weir as an installed package, in a repository made by weir init', () => {
  it('the tarball holds no test, benchmark or fixture file, and no TypeScript source outside the templates', () => {
    // The listing of the real pack, build included (test/unit/package/pack.test.ts checks the allowlist without building).
    const files = packed!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['bin/weir.js', 'dist/cli/main.js', 'dist/runtime/api.d.ts', 'dist/cjs/runtime/api.js']));
    // templates/init/topology/tests/ is the team's own pipeline tests, written by weir init: allowed.
    const shipped = files.filter((f) => !f.startsWith('templates/'));
    expect(shipped.filter((f) => /(^|\/)(tests?|__tests__|bench|benchmarks?|fixtures?|golden|scratch|src)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /\.(test|spec|bench)\.[cm]?[jt]s$|(^|\/)fixtures?\b/.test(f))).toEqual([]);
    expect(shipped.filter((f) => /\.[cm]?tsx?$/.test(f) && !/\.d\.[cm]?ts$/.test(f))).toEqual([]);
  });

  it('npm test and npm run typecheck pass with every service unreachable and no .weir/stack.env', async () => {
    expect(existsSync(join(app, '.weir', 'stack.env'))).toBe(false);
    const env = cleanEnv(CLOSED);
    const test = await ok('npm test', 'npm', ['test'], { cwd: app, env, timeoutMs: 3 * MINUTE });
    timings.npmTest = test.ms;
    expect(test.stdout).toMatch(/^3 passed, 0 failed$/m);
    const typecheck = await ok('npm run typecheck', 'npm', ['run', 'typecheck'], { cwd: app, env, timeoutMs: 3 * MINUTE });
    timings.typecheck = typecheck.ms;
    expect(readFileSync(join(app, 'transforms', `${pipeline}.ts`), 'utf8')).toMatch(/from 'weir';/);
  });

  it('CommonJS: the same transform in a "type": "commonjs" project typechecks against weir\'s CJS types and passes weir test', async () => {
    const started = Date.now();
    const cjs = join(tmp, 'cjs');
    mkdirSync(cjs);
    for (const dir of ['topology', 'schemas', 'transforms']) cpSync(join(app, dir), join(cjs, dir), { recursive: true });
    symlinkSync(join(app, 'node_modules'), join(cjs, 'node_modules'), 'dir');
    writeFileSync(join(cjs, 'package.json'), `${JSON.stringify({ name: 'cjs-pipelines', private: true, type: 'commonjs' }, null, 2)}\n`);
    // The scaffold's tsconfig for CommonJS: Node16 modules, and without verbatimModuleSyntax, which
    // forbids `import`/`export` in a CommonJS file (TS1295, TS1287).
    const tsconfig = JSON.parse(readFileSync(join(app, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    tsconfig.compilerOptions.module = 'Node16';
    tsconfig.compilerOptions.moduleResolution = 'Node16';
    delete tsconfig.compilerOptions.verbatimModuleSyntax;
    writeFileSync(join(cjs, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);

    const env = cleanEnv(CLOSED);
    // `weir` resolves to the CommonJS build there, for Node and for TypeScript.
    const resolved = await ok('require.resolve', process.execPath, ['-p', "require.resolve('weir')"], { cwd: cjs, env, timeoutMs: MINUTE });
    expect(resolved.stdout.trim()).toMatch(/node_modules\/weir\/dist\/cjs\/runtime\/api\.js$/);
    const trace = await ok('tsc --noEmit', 'npx', ['tsc', '--noEmit', '-p', '.', '--traceResolution'], {
      cwd: cjs,
      env,
      timeoutMs: 3 * MINUTE,
    });
    expect(trace.stdout).toMatch(/Module name 'weir' was successfully resolved to '[^']*\/weir\/dist\/cjs\/runtime\/api\.d\.ts'/);
    const test = await ok('weir test (CommonJS)', 'npx', ['weir', 'test'], { cwd: cjs, env, timeoutMs: 3 * MINUTE });
    expect(test.stdout).toMatch(/^3 passed, 0 failed$/m);
    timings.cjs = Date.now() - started;
  });

  it(
    'on the real stack: deploy, run, 1,000 records produced and consumed transformed, an invalid one in the DLQ, SIGTERM exits 0',
    async () => {
      const stackStarted = Date.now();
      // As `weir stack up` leaves a repository: the settings in .weir/stack.env, none in the environment.
      const s = services();
      mkdirSync(join(app, '.weir'), { recursive: true });
      writeFileSync(
        join(app, '.weir', 'stack.env'),
        formatEnvFile(
          {
            KAFKA_BOOTSTRAP_SERVERS: s.KAFKA_BOOTSTRAP_SERVERS,
            SCHEMA_REGISTRY_URL: s.SCHEMA_REGISTRY_URL,
            DATABASE_URL: s.DATABASE_URL,
            REDIS_URL: s.REDIS_URL,
          },
          'the running stack, for the package e2e test',
        ),
      );
      const env = cleanEnv();
      const weir = (args: string[], input?: string, timeoutMs = 3 * MINUTE) =>
        ok(`weir ${args.join(' ')}`, 'npx', ['weir', ...args], { cwd: app, env, timeoutMs, ...(input !== undefined ? { input } : {}) });
      const events = `${pipeline}.events`;
      const normalized = `${pipeline}.normalized`;
      const dlq = `${pipeline}.events.normalize.dlq`;

      // `weir deploy` is a dry run unless --execute (the template's `npm run deploy` passes it).
      const deploy = await weir(['deploy', '--execute']);
      timings.deploy = deploy.ms;
      expect(deploy.stdout).toContain(`+ topic ${events}:`);
      expect(deploy.stdout).toContain(`+ topic ${dlq}:`);
      expect(deploy.stdout).toContain(`+ schema ${events}-value:`);
      expect(deploy.stdout).toMatch(/^applied \d+ changes$/m);

      // The worker, started as `npx weir run` starts it but without npx in between: npm exec runs the
      // bin through `sh -c`, which does not pass SIGTERM on (npm's shell dies, the worker is orphaned).
      const runStarted = Date.now();
      const proc = spawn(join(app, 'node_modules', '.bin', 'weir'), ['run', '--metrics-port', '0'], {
        cwd: app,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      worker = proc;
      const logs: Array<Record<string, unknown>> = [];
      let out = '';
      let err = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        let nl: number;
        while ((nl = out.indexOf('\n')) >= 0) {
          const line = out.slice(0, nl);
          out = out.slice(nl + 1);
          try {
            logs.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            logs.push({ msg: line });
          }
        }
      });
      proc.stderr!.on('data', (d: Buffer) => (err = tail(err + d.toString())));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        proc.on('exit', (code, signal) => resolve({ code, signal })),
      );
      const workerLogs = () => `${logs.map((l) => JSON.stringify(l)).join('\n')}\n--- stderr\n${err}`;
      await waitFor(
        () => {
          if (proc.exitCode !== null || proc.signalCode !== null)
            throw new Error(`weir run exited (${proc.exitCode ?? proc.signalCode}) before its partitions were assigned\n${workerLogs()}`);
          return logs.some((l) => l.msg === 'assigned' && Array.isArray(l.partitions) && l.partitions.length > 0);
        },
        { timeoutMs: 2 * MINUTE, what: `weir run to log "assigned"`, intervalMs: 200 },
      ).catch((e: Error) => {
        throw new Error(`${e.message}\n${workerLogs()}`);
      });
      timings.assigned = Date.now() - runStarted;

      // 1,000 valid events (schemas/<pipeline>/Event.avsc), as JSON lines on stdin.
      const currencies = ['EUR', 'USD', 'GBP'] as const;
      const inputs = Array.from({ length: 1000 }, (_, i) => ({
        key: `acct-${i % 37}`,
        value: {
          id: `evt-${i}`,
          account: `acct-${i % 37}`,
          amountCents: i === 0 ? 0 : i * 1_009 + (i % 100),
          currency: currencies[i % 3]!,
          occurredAt: 1_767_225_600_000 + i * 1_000,
        },
      }));
      const produce = await weir(['produce', events], inputs.map((r) => JSON.stringify(r)).join('\n') + '\n');
      timings.produce = produce.ms;
      expect(produce.stdout).toContain(`produced 1000 records to ${events}`);

      const consume = await weir(
        ['consume', normalized, '--from-beginning', '--count', '1000', '--isolation', 'read_committed', '--timeout', '120s'],
        undefined,
        4 * MINUTE,
      );
      timings.consume = consume.ms;
      timings.stack = Date.now() - stackStarted;
      const outputs = jsonLines(consume.stdout) as Array<{ key: string; value: Record<string, unknown> }>;
      expect(outputs).toHaveLength(1000);
      const byId = new Map(outputs.map((o) => [o.value.id as string, o]));
      expect(byId.size).toBe(1000); // exactly once: no id twice
      const decimal = (cents: number) => `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
      for (const input of inputs) {
        const o = byId.get(input.value.id);
        expect(o, input.value.id).toBeDefined();
        expect(o!.key).toBe(input.key);
        expect(o!.value).toEqual({
          id: input.value.id,
          account: input.value.account,
          amount: decimal(input.value.amountCents),
          currency: input.value.currency,
          occurredAt: input.value.occurredAt,
          normalizedAt: expect.any(Number),
        });
      }
      expect(byId.get('evt-1')!.value.amount).toBe('10.10');
      expect(byId.get('evt-0')!.value.amount).toBe('0.00');

      // The scaffold's DLQ case: a negative amount is a ValidationError, sent to the DLQ at once.
      const dlqStarted = Date.now();
      const invalid = {
        key: 'acct-bad',
        value: { id: 'evt-bad', account: 'acct-bad', amountCents: -500, currency: 'EUR', occurredAt: 1_767_225_600_000 },
      };
      const produceInvalid = await weir(['produce', events], `${JSON.stringify(invalid)}\n`);
      expect(produceInvalid.stdout).toContain(`produced 1 record to ${events}`);
      const dead = await weir(['consume', dlq, '--from-beginning', '--count', '1', '--json', '--timeout', '90s'], undefined, 3 * MINUTE);
      const [entry] = jsonLines(dead.stdout) as Array<{ topic: string; key: string; value: unknown; headers: Record<string, string> }>;
      expect(entry).toMatchObject({ topic: dlq, key: 'acct-bad', value: invalid.value });
      expect(entry!.headers).toMatchObject({
        'weir.step': 'normalize',
        'weir.origin.topic': events,
        'weir.error.class': 'ValidationError',
        'weir.error.message': 'event evt-bad has a negative amount: -500',
      });
      const list = await weir(['dlq', 'list', '--json']);
      expect(JSON.parse(list.stdout)).toEqual([
        expect.objectContaining({
          step: 'normalize',
          topic: dlq,
          depth: 1,
          byError: [expect.objectContaining({ errorClass: 'ValidationError', count: 1 })],
        }),
      ]);
      timings.dlq = Date.now() - dlqStarted;

      // SIGTERM: the batch in flight finishes, the worker leaves the group and exits 0.
      const stopStarted = Date.now();
      proc.kill('SIGTERM');
      const stopped = await Promise.race([
        exited,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`weir run did not exit within 60 s of SIGTERM\n${workerLogs()}`)), MINUTE).unref(),
        ),
      ]);
      timings.stop = Date.now() - stopStarted;
      expect(stopped, workerLogs()).toEqual({ code: 0, signal: null });
      expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['assigned', 'stopped']));
      expect(
        logs.filter((l) => (l.level as number) >= 50),
        workerLogs(),
      ).toEqual([]);
    },
    10 * MINUTE,
  );
});
