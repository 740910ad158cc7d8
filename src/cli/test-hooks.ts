// Test-only hooks of `weir run`, from the environment: WEIR_TEST_CRASH=<point>:<n> makes the process
// SIGKILL itself the n-th time it reaches <point> (counting from 1); WEIR_TEST_PAUSE=<point>:<n>
// makes it SIGSTOP itself there (a zombie frozen mid-transaction); WEIR_TEST_BREAK=offset-off-by-one
// commits the last processed offset instead of the next one; WEIR_TEST_HANG=stop makes stopping
// never finish (as a stuck native close would). The fault tests use them to hit exact
// moments of the protocol and to prove their checks fail on a broken build. Unset, nothing is hooked.
import type { CrashPoint, WorkerHooks } from '../runtime/hooks.ts';

export function testHooksFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerHooks {
  const crash = env.WEIR_TEST_CRASH?.split(':');
  const pause = env.WEIR_TEST_PAUSE?.split(':');
  const hooks: WorkerHooks = {};
  if (env.WEIR_TEST_BREAK === 'offset-off-by-one') hooks.commitLastProcessed = true;
  if (!crash && !pause) return hooks;
  const counts = new Map<string, number>();
  const reached = (kind: string, point: CrashPoint, spec: string[] | undefined): boolean => {
    if (spec?.[0] !== point) return false;
    const n = (counts.get(kind + point) ?? 0) + 1;
    counts.set(kind + point, n);
    return n === Number(spec[1] ?? 1);
  };
  hooks.crashArmed = (point) => crash?.[0] === point || pause?.[0] === point;
  hooks.crashPoint = (point) => {
    if (reached('pause', point, pause)) {
      process.stdout.write(`${JSON.stringify({ msg: 'test pause point', point, n: Number(pause![1] ?? 1) })}\n`);
      process.kill(process.pid, 'SIGSTOP');
    }
    if (reached('crash', point, crash)) {
      process.stderr.write(`weir: test crash point ${point} #${crash![1] ?? 1}: SIGKILL\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  };
  return hooks;
}

/** WEIR_TEST_HANG=stop: stopping never finishes, so the grace period must end the process. */
export const hangsOnStop = (env: NodeJS.ProcessEnv = process.env): boolean => env.WEIR_TEST_HANG === 'stop';
