// pino JSON logs. One root logger per process; components take children bound to their context.
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export function createLogger(options: LoggerOptions = {}, file?: string): Logger {
  const destination = file ? pino.destination({ dest: file, mkdir: true, sync: false }) : undefined;
  return pino(
    {
      level: process.env.WEIR_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      // Never log credentials that may sit inside connection URLs or client configs.
      redact: { paths: ['*.password', '*.sasl_password', '*["sasl.password"]', '*["ssl.key.password"]'], censor: '[redacted]' },
      ...options,
    },
    destination ?? pino.destination(1),
  );
}

let root: Logger | undefined;
export function rootLogger(): Logger {
  root ??= createLogger();
  return root;
}
