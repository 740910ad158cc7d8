// `weir stack` and `weir env` from a team's repository (a temp folder, not weir's checkout), against
// the services of this run: everything already answers there, so `stack up` reuses it, writes the
// team's .weir/stack.env, and `stack down` leaves it all running.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONNECTION_KEYS, parseEnvFile } from '../../src/config/connection.ts';
import { ports } from '../../src/stack/versions.ts';
import { services } from '../helpers/services.ts';

const WEIR = fileURLToPath(new URL('../../bin/weir.js', import.meta.url));

function weir(cwd: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env = { ...process.env };
  for (const k of [...CONNECTION_KEYS, 'WEIR_ENV_FILE', 'WEIR_STACK_DIR']) delete env[k];
  env.DATABASE_URL = services().DATABASE_URL;
  env.REDIS_URL = services().REDIS_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, [WEIR, ...args], { cwd, env, timeout: 150_000 }, (err, out, errOut) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
    );
  });
}

// Only meaningful when this run uses the local stack's ports (not services from the environment).
const onLocalStack = () => services().KAFKA_BOOTSTRAP_SERVERS === `127.0.0.1:${ports.kafka}`;

describe('weir stack in a team repository', { timeout: 180_000 }, () => {
  it.runIf(onLocalStack())('status, up, env and down from a subfolder of the repository', async () => {
    const repo = join(mkdtempSync(join(tmpdir(), 'weir-team-')), 'team');
    const sub = join(repo, 'topology');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(repo, 'package.json'), '{"name":"team","private":true}\n');

    const status = await weir(sub, 'stack', 'status', '--json');
    expect(status.code).toBe(0);
    expect((JSON.parse(status.out) as Array<{ status: string }>).map((s) => s.status)).toEqual(Array(4).fill('external'));
    expect(existsSync(join(repo, '.weir'))).toBe(false); // status writes nothing

    const up = await weir(sub, 'stack', 'up', '--json');
    expect(up.code, up.err).toBe(0);
    const result = JSON.parse(up.out) as { project: string; envFile: string; services: Array<{ status: string }> };
    expect(result.project).toBe(repo);
    expect(result.envFile).toBe(join(repo, '.weir', 'stack.env'));
    expect(result.services.map((s) => s.status)).toEqual(Array(4).fill('external'));
    const written = parseEnvFile(readFileSync(result.envFile, 'utf8'));
    expect(written.KAFKA_BOOTSTRAP_SERVERS).toBe(services().KAFKA_BOOTSTRAP_SERVERS);
    expect(readFileSync(join(repo, '.weir', '.gitignore'), 'utf8')).toMatch(/^\*$/m);

    const env = await weir(sub, 'env');
    expect(env.out).toContain(`(.weir/stack.env at ${result.envFile})`);

    const down = await weir(sub, 'stack', 'down', '--json');
    expect(down.code).toBe(0);
    expect((JSON.parse(down.out) as Array<{ status: string }>).map((s) => s.status)).toEqual(Array(4).fill('untouched'));
    expect((await weir(sub, 'stack', 'status')).code).toBe(0); // still up: nothing of theirs was stopped
  });
});
