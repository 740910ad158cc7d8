// `npm run stack:up | stack:down | stack:status [-- --json]` in weir's own checkout: the same as
// `weir stack up | down | status` (src/cli/commands/stack.ts over src/stack) run from here.
import { runCli } from '../../src/cli/run.ts';

const io = { out: (t: string) => process.stdout.write(t + '\n'), err: (t: string) => process.stderr.write(t + '\n') };
process.exitCode = await runCli(['stack', ...process.argv.slice(2)], io);
// Whatever native handle a client left behind must not keep the process alive.
setTimeout(() => process.exit(), 2_000).unref();
