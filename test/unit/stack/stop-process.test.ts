import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isAlive, stopProcess } from '../../../src/stack/proc.ts';

describe('stopProcess', () => {
  it("returns 'killed' only once a process that ignores SIGTERM is gone (stack down --purge runs next)", async () => {
    const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const pid = child.pid!;
    expect(await stopProcess(pid, 300)).toBe('killed');
    expect(isAlive(pid)).toBe(false);
  });

  it("returns 'stopped' for a process that ends on SIGTERM, 'not running' for one already gone", async () => {
    const child = spawn(process.execPath, ['-e', "console.log('ready'); setInterval(() => {}, 1000)"], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const pid = child.pid!;
    expect(await stopProcess(pid, 10_000)).toBe('stopped');
    expect(await stopProcess(pid, 10_000)).toBe('not running');
  });
});
