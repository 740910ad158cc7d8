// `weir env`: the connection settings weir will use and where each came from.
import { CONNECTION_KEYS, findEnvFile, readConnectionValues } from '../../config/connection.ts';
import { JSON_OPTION, type Command } from '../command.ts';

/** Hides the password part of URLs. */
export function redact(value: string): string {
  return value.replace(/(\/\/[^:/@]+:)[^@]+@/, '$1***@');
}

export const envCommand: Command = {
  name: 'env',
  summary: 'show the connection settings in effect (environment, else .weir/stack.env)',
  options: [JSON_OPTION],
  positionals: [],
  async run(args, io) {
    const file = findEnvFile();
    const values = readConnectionValues();
    const rows = CONNECTION_KEYS.map((key) => ({
      key,
      value: values[key] === undefined ? null : redact(values[key]),
      source: process.env[key] ? 'environment' : values[key] !== undefined ? file : null,
    }));
    if (args.options.json) io.out(JSON.stringify({ envFile: file ?? null, settings: rows }, null, 2));
    else for (const r of rows) io.out(`${r.key.padEnd(24)} ${r.value ?? '(not set)'}${r.source ? `   (${r.source})` : ''}`);
    return rows.every((r) => r.value !== null) ? 0 : 1;
  },
};
