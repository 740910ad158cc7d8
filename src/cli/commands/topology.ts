// `weir validate | plan | graph | schema-json`: the topology compiler on the command line.
import { formatDiagnostic, sortDiagnostics } from '../../topology/diagnostics.ts';
import { topologyJsonSchema } from '../../topology/docs.ts';
import { toDot, toMermaid, toText } from '../../topology/graph.ts';
import { planToJson } from '../../topology/plan.ts';
import { JSON_OPTION, type Command } from '../command.ts';
import { formatPlan } from '../format-plan.ts';
import { CHECK_ENV_OPTION, compileFiles, FILES_ARG, planOrReport } from '../topology-input.ts';
import { transformImportDiagnostics } from './validate-transforms.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check topology files: silent on success, every problem with file:line:column on failure',
  options: [JSON_OPTION, CHECK_ENV_OPTION],
  positionals: [FILES_ARG],
  details:
    'Runs offline: no broker, registry or network. Imports each transform module, as `weir run` will. Exit 0 when valid, 1 on errors (warnings alone pass).',
  async run(args, io) {
    const result = compileFiles(args.positionals, Boolean(args.options['check-env']));
    const diagnostics = sortDiagnostics([...result.diagnostics, ...(await transformImportDiagnostics(result))]);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (args.options.json) io.out(JSON.stringify({ valid: errors.length === 0, diagnostics }, null, 2));
    else for (const d of diagnostics) io.err(formatDiagnostic(d));
    if (errors.length > 0 && !args.options.json) io.err(`${errors.length} error${errors.length === 1 ? '' : 's'}`);
    return errors.length > 0 ? 1 : 0;
  },
};

export const planCommand: Command = {
  name: 'plan',
  summary: 'show what the topology means: topics (with retry tiers and DLQs), groups, subjects, sinks',
  options: [JSON_OPTION, CHECK_ENV_OPTION],
  positionals: [FILES_ARG],
  async run(args, io) {
    const plan = planOrReport(args.positionals, io, Boolean(args.options['check-env']));
    if (!plan) return 1;
    io.out(args.options.json ? planToJson(plan).trimEnd() : formatPlan(plan));
    return 0;
  },
};

export const graphCommand: Command = {
  name: 'graph',
  summary: 'draw the pipeline (topics, steps, retry tiers, DLQs, sinks) as Mermaid or Graphviz dot',
  options: [
    {
      name: 'format',
      type: 'string',
      description: 'output format',
      choices: ['mermaid', 'dot', 'text'],
      default: 'mermaid',
      value: '<format>',
    },
  ],
  positionals: [FILES_ARG],
  async run(args, io) {
    const plan = planOrReport(args.positionals, io);
    if (!plan) return 1;
    const render = { dot: toDot, text: toText, mermaid: toMermaid }[String(args.options.format) as 'dot' | 'text' | 'mermaid'];
    io.out(render(plan).trimEnd());
    return 0;
  },
};

export const schemaJsonCommand: Command = {
  name: 'schema-json',
  summary: 'print the JSON Schema of topology files (for editor completion)',
  options: [],
  positionals: [],
  async run(_args, io) {
    io.out(topologyJsonSchema().trimEnd());
    return 0;
  },
};
