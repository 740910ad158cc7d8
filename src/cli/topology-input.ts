// Shared by commands that read topology files: default file discovery, compile, report diagnostics.
import { compileTopology, type CompileResult } from '../topology/compile/index.ts';
import { formatDiagnostic } from '../topology/diagnostics.ts';
import { defaultTopologyFiles } from '../topology/load.ts';
import type { Plan } from '../topology/plan.ts';
import type { EnvPhase } from '../topology/spec/core.ts';
import type { OptionSpec } from './args.ts';
import type { Io } from './command.ts';

export const FILES_ARG = { name: 'files', description: 'topology files (default: topology/*.yaml)', variadic: true } as const;
export const CHECK_ENV_OPTION: OptionSpec = {
  name: 'check-env',
  type: 'boolean',
  description: 'also require every ${VAR} the topology references to be set',
};

/**
 * Which `${VAR}` references must be set: none (false), all (true: `validate --check-env`, `run`), or
 * only those the named command resolves (`deploy` does not need an HTTP sink's URL or token).
 */
export type CheckEnv = boolean | EnvPhase;

export function compileFiles(files: string[], checkEnv: CheckEnv = false): CompileResult {
  const env = checkEnv === false ? {} : { env: process.env, ...(checkEnv === true ? {} : { envFor: checkEnv }) };
  return compileTopology(files.length ? files : defaultTopologyFiles(), env);
}

/** Compiles and prints diagnostics to stderr; the plan, or undefined when there were errors. */
export function planOrReport(files: string[], io: Io, checkEnv: CheckEnv = false): Plan | undefined {
  const result = compileFiles(files, checkEnv);
  for (const d of result.diagnostics) io.err(formatDiagnostic(d));
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) io.err(`${errors} error${errors === 1 ? '' : 's'}`);
  return result.plan;
}
