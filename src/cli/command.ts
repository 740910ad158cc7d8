// The shape of a CLI command. Commands are wiring only: they parse, call into the other folders,
// and print.
import type { OptionSpec, ParsedArgs, PositionalSpec } from './args.ts';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export interface Command {
  name: string;
  summary: string;
  options: readonly OptionSpec[];
  positionals: readonly PositionalSpec[];
  details?: string;
  /** Returns the exit code: 0 success, 1 failure; usage errors throw UsageError (exit 2). */
  run(args: ParsedArgs, io: Io): Promise<number>;
}

export const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'machine-readable output' };

/** Every command that changes something is a dry run unless --execute: one flag, one meaning. */
export const EXECUTE_OPTION: OptionSpec = {
  name: 'execute',
  type: 'boolean',
  description: 'apply; without it the command only shows what it would change',
};
