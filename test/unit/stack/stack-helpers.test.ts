import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ensureApicurio, ensureKafkaJars } from '../../../src/stack/artifacts.ts';
import { managedUp, type ManagedService } from '../../../src/stack/managed.ts';
import { newClusterId } from '../../../src/stack/kafka.ts';
import { stackCacheDir, stackPaths } from '../../../src/stack/paths.ts';
import { StackError } from '../../../src/stack/proc.ts';
import { readState } from '../../../src/stack/state.ts';
import { APICURIO_VERSION, KAFKA_VERSION } from '../../../src/stack/versions.ts';

describe('newClusterId', () => {
  it('makes Kafka-format ids that never start with "-" (kafka-storage would read one as an option)', () => {
    const ids = Array.from({ length: 20_000 }, newClusterId);
    // About 312 of 20,000 plain random ids start with '-'; none of these may.
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    for (const id of ids.slice(0, 500)) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('StackError', () => {
  it('carries the last lines of the log it points at, so CI output shows the cause', () => {
    const log = join(mkdtempSync(join(tmpdir(), 'weir-stack-')), 'kafka.log');
    writeFileSync(log, Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    const err = new StackError('formatting failed', log);
    expect(err.message).toContain(`see the log: ${log}`);
    expect(err.message).toContain('    | line 40');
    expect(err.message).toContain('    | line 26');
    expect(err.message).not.toContain('line 25\n');
  });

  it('says nothing more when the log does not exist', () => {
    expect(new StackError('boom', '/nonexistent/weir.log').message).toBe('boom\n  see the log: /nonexistent/weir.log');
  });
});

describe('stack paths', () => {
  it("put data, logs, state and settings in the team's project (found from a subfolder), downloads in the user's cache", () => {
    const root = join(mkdtempSync(join(tmpdir(), 'weir-stack-')), 'team');
    mkdirSync(join(root, 'src', 'deep'), { recursive: true });
    writeFileSync(join(root, 'package.json'), '{}');
    const p = stackPaths(join(root, 'src', 'deep'), { HOME: '/home/dev', XDG_CACHE_HOME: '/home/dev/.xdg' });
    expect(p).toMatchObject({
      project: root,
      dir: join(root, '.weir', 'stack'),
      state: join(root, '.weir', 'stack', 'state.json'),
      kafkaHome: join(root, '.weir', 'stack', 'kafka'),
      envFile: join(root, '.weir', 'stack.env'),
      cache: '/home/dev/.xdg/weir/stack',
    });
    expect(p.log('kafka')).toBe(join(root, '.weir', 'stack', 'logs', 'kafka.log'));
  });

  it('follow WEIR_STACK_DIR, WEIR_ENV_FILE and WEIR_STACK_CACHE', () => {
    const p = stackPaths('/tmp', { WEIR_STACK_DIR: '/srv/stack', WEIR_ENV_FILE: '/srv/ci.env', WEIR_STACK_CACHE: '/cache/weir' });
    expect(p).toMatchObject({ dir: '/srv/stack', envFile: '/srv/ci.env', cache: '/cache/weir' });
    expect(stackCacheDir({})).toMatch(/\.cache\/weir\/stack$/);
  });
});

describe('stack state and cache', () => {
  it('`down` in a folder that never ran a stack leaves no .weir behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-stack-'));
    const st = readState(join(dir, '.weir', 'stack', 'state.json'));
    st.save();
    expect(existsSync(join(dir, '.weir'))).toBe(false);
    st.state.started.kafka = { pid: 1, marker: 'x', startedAt: 'now' };
    st.save();
    expect(readState(st.file).state.started.kafka?.pid).toBe(1);
  });

  it('a complete cached download is used as is (no mvn run)', () => {
    const cache = mkdtempSync(join(tmpdir(), 'weir-cache-'));
    for (const d of [`kafka-${KAFKA_VERSION}`, `apicurio-registry-${APICURIO_VERSION}`]) {
      mkdirSync(join(cache, d), { recursive: true });
      writeFileSync(join(cache, d, '.complete'), 'yes');
    }
    vi.stubEnv('PATH', '/nonexistent'); // mvn cannot run
    try {
      expect(ensureKafkaJars({ cache })).toBe(join(cache, `kafka-${KAFKA_VERSION}`, 'libs'));
      expect(ensureApicurio({ cache })).toBe(join(cache, `apicurio-registry-${APICURIO_VERSION}`));
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('managed services', () => {
  it('get their log folder before start() writes to it (a fresh project with a warm download cache)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-stack-'));
    const log = join(dir, 'logs', 'svc.log');
    let started = false;
    const svc: ManagedService = {
      name: 'svc',
      endpoint: 'test',
      port: await freePort(),
      marker: 'node',
      log,
      probe: async () => {
        if (!started) throw new Error('down');
      },
      start: () => {
        writeFileSync(log, 'formatting storage\n');
        started = true;
        return process.pid;
      },
      readyTimeoutMs: 5_000,
      portHint: '',
    };
    const st = readState(join(dir, 'state.json'));
    expect(await managedUp(svc, st)).toMatchObject({ status: 'started', pid: process.pid, log });
    expect(readState(st.file).state.started.svc?.pid).toBe(process.pid);
  });
});
