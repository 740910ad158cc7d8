// pino JSON logs. One root logger per process; components take children bound to their context.
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

// The hook through which logs and /metrics pass the redaction layer (config/redact.ts). This folder
// depends on nothing of weir's, so the entry point plugs the layer in (cli/run.ts) before any output.
let redact: (text: string) => string = (text) => text;

export function setOutputRedaction(fn: (text: string) => string): void {
  redact = fn;
}

export function redactOutput(text: string): string {
  return redact(text);
}

export function createLogger(options: LoggerOptions = {}, file?: string): Logger {
  const destination = file ? pino.destination({ dest: file, mkdir: true, sync: false }) : undefined;
  return pino(
    {
      level: process.env.WEIR_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      // Never log credentials that may sit inside connection URLs or client configs.
      redact: { paths: ['*.password', '*.sasl_password', '*["sasl.password"]', '*["ssl.key.password"]'], censor: '[redacted]' },
      // Every line, whatever field or message carries it: registered secrets, URL passwords and
      // secret query values are masked.
      hooks: { streamWrite: redactOutput },
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
