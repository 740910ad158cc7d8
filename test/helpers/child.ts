// Child processes for crash tests: TypeScript entry points run through tsx, stdout watched line by
// line, killed for real (SIGKILL) and always reaped when the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterEach } from 'vitest';

// `node --import tsx` runs the file in this very process; the tsx CLI would fork a grandchild
// that a SIGKILL of the CLI leaves running.
const tsxLoader = createRequire(import.meta.url).resolve('tsx/esm');
const running = new Set<ChildProcess>();

export interface Child {
  proc: ChildProcess;
  lines: string[];
  waitForLine(match: string | RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export function spawnTs(file: string, env: Record<string, string>, args: string[] = []): Child {
  const proc = spawn(process.execPath, ['--import', tsxLoader, file, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      lines.push(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
    }
    for (const w of waiters) w();
  });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      running.delete(proc);
      for (const w of waiters) w();
      resolve(code);
    }),
  );
  const matches = (l: string, m: string | RegExp) => (typeof m === 'string' ? l.includes(m) : m.test(l));
  return {
    proc,
    lines,
    exited,
    waitForLine(match, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => matches(l, match));
          if (found !== undefined) return done(() => resolve(found));
          if (proc.exitCode !== null || proc.signalCode !== null) {
            return done(() =>
              reject(new Error(`${file} exited (${proc.exitCode ?? proc.signalCode}) before printing ${match}\n${stderr}`)),
            );
          }
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`${file} did not print ${match} within ${timeoutMs} ms\n${stderr}`))),
          timeoutMs,
        );
        const done = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          fn();
        };
        waiters.add(check);
        check();
      });
    },
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

afterEach(() => {
  for (const p of running) p.kill('SIGKILL');
});
