// `weir <command> [options]`: the process entry point.
import type { Io } from './command.ts';
import { runCli } from './run.ts';

const io: Io = { out: (t) => process.stdout.write(t + '\n'), err: (t) => process.stderr.write(t + '\n') };
process.exitCode = await runCli(process.argv.slice(2), io);
// The command is done: whatever native handle a client left behind must not keep the process alive
// (output still being written gets a moment first).
setTimeout(() => process.exit(), 2_000).unref();
