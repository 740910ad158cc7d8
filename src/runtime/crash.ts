// Test-only crash points: WEIR_TEST_CRASH=<point>:<n> makes the process SIGKILL itself the n-th time
// it reaches <point> (counting from 1); WEIR_TEST_PAUSE=<point>:<n> makes it SIGSTOP itself there
// (a zombie frozen mid-transaction). Fault tests use them to hit exact moments of the protocol.
export type CrashPoint = 'after-produce' | 'after-send-offsets' | 'after-db-commit';

const spec = process.env.WEIR_TEST_CRASH?.split(':');
const pauseSpec = process.env.WEIR_TEST_PAUSE?.split(':');
const counts = new Map<string, number>();
const pauseCounts = new Map<string, number>();

/** Whether a crash point is set for `point` (the worker then makes sure its data reached the broker). */
export function crashArmed(point: CrashPoint): boolean {
  return spec?.[0] === point || pauseSpec?.[0] === point;
}

export function crashPoint(point: CrashPoint): void {
  if (pauseSpec && pauseSpec[0] === point) {
    const n = (pauseCounts.get(point) ?? 0) + 1;
    pauseCounts.set(point, n);
    if (n === Number(pauseSpec[1] ?? 1)) {
      process.stdout.write(`${JSON.stringify({ msg: 'test pause point', point, n })}\n`);
      process.kill(process.pid, 'SIGSTOP');
    }
  }
  if (!spec || spec[0] !== point) return;
  const n = (counts.get(point) ?? 0) + 1;
  counts.set(point, n);
  if (n === Number(spec[1] ?? 1)) {
    process.stderr.write(`weir: test crash point ${point} #${n}: SIGKILL\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
