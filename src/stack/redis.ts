// Redis: the machine's own server when it answers; otherwise the stack runs redis-server itself
// (no persistence, like the machine's).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { ManagedService } from './managed.ts';
import type { StackPaths } from './paths.ts';
import { redisPing } from './probes.ts';
import { startDetached, StackError } from './proc.ts';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function redisService(p: StackPaths, url: string): ManagedService {
  const u = new URL(url);
  const port = Number(u.port || 6379);
  return {
    name: 'redis',
    endpoint: url,
    port,
    // redis-server rewrites its process title, so match the program name only.
    marker: 'redis-server',
    log: p.log('redis'),
    probe: () => redisPing(url),
    readyTimeoutMs: 20_000,
    portHint: 'stop it or point REDIS_URL elsewhere',
    start: () => {
      try {
        execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
      } catch {
        throw new StackError(
          `Redis does not answer at ${url} and redis-server is not installed (apt-get install redis-server), or set REDIS_URL`,
        );
      }
      mkdirSync(p.redisHome, { recursive: true });
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', p.redisHome];
      return startDetached('redis-server', args, { logFile: p.log('redis') });
    },
  };
}
