// Each command declares its options once; parsing, validation messages and --help come from that.
export interface OptionSpec {
  name: string;
  type: 'boolean' | 'string' | 'number' | 'list';
  description: string;
  short?: string;
  /** Placeholder shown in help, e.g. `<file>`. */
  value?: string;
  choices?: readonly string[];
  default?: string | number | boolean;
}

export interface PositionalSpec {
  name: string;
  description: string;
  variadic?: boolean;
  required?: boolean;
}

export type OptionValue = string | number | boolean | string[] | undefined;

export interface ParsedArgs {
  options: Record<string, OptionValue>;
  positionals: string[];
}

/** Wrong usage: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

const flag = (o: OptionSpec) => `--${o.name}`;

export function parseArgs(
  command: string,
  options: readonly OptionSpec[],
  positionals: readonly PositionalSpec[],
  argv: string[],
): ParsedArgs {
  const byName = new Map(options.map((o) => [o.name, o]));
  const byShort = new Map(options.filter((o) => o.short).map((o) => [o.short!, o]));
  const values: Record<string, OptionValue> = {};
  for (const o of options) if (o.default !== undefined) values[o.name] = o.default;
  const rest: string[] = [];
  const seenList = new Set<string>();
  const expected = () => (options.length ? options.map(flag).join(', ') : 'no options');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      rest.push(arg);
      continue;
    }
    const [rawName, inline] = arg.startsWith('--') ? splitOnce(arg.slice(2), '=') : [arg.slice(1), undefined];
    const spec = arg.startsWith('--') ? byName.get(rawName) : byShort.get(rawName);
    if (!spec) throw new UsageError(`unknown option ${arg} for \`weir ${command}\`; expected ${expected()}`, command);
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`${flag(spec)} takes no value`, command);
      values[spec.name] = true;
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`${flag(spec)} needs a value${spec.value ? ` ${spec.value}` : ''}`, command);
    const v = convert(spec, raw, command);
    // A repeated list option accumulates: `--step a --step b` = `--step a,b`.
    values[spec.name] =
      spec.type === 'list' && Array.isArray(values[spec.name]) && seenList.has(spec.name)
        ? [...(values[spec.name] as string[]), ...(v as string[])]
        : v;
    if (spec.type === 'list') seenList.add(spec.name);
  }
  const required = positionals.filter((p) => p.required);
  if (rest.length < required.length) {
    throw new UsageError(
      `missing ${required
        .slice(rest.length)
        .map((p) => `<${p.name}>`)
        .join(' ')}`,
      command,
    );
  }
  if (!positionals.some((p) => p.variadic) && rest.length > positionals.length) {
    throw new UsageError(
      `unexpected argument ${rest[positionals.length]}${positionals.length ? '' : `; \`weir ${command}\` takes no arguments`}`,
      command,
    );
  }
  return { options: values, positionals: rest };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function convert(spec: OptionSpec, raw: string, command: string): OptionValue {
  if (spec.choices && !spec.choices.includes(raw)) {
    throw new UsageError(`${flag(spec)} must be one of ${spec.choices.join(', ')}; got ${JSON.stringify(raw)}`, command);
  }
  if (spec.type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`${flag(spec)} expects a number; got ${JSON.stringify(raw)}`, command);
    return n;
  }
  if (spec.type === 'list')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return raw;
}

export function formatHelp(
  name: string,
  summary: string,
  options: readonly OptionSpec[],
  positionals: readonly PositionalSpec[],
  details?: string,
): string {
  const usageArgs = positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}${p.variadic ? '…' : ''}]`)).join(' ');
  const lines = [
    `weir ${name} — ${summary}`,
    '',
    `usage: weir ${name}${options.length ? ' [options]' : ''}${usageArgs ? ` ${usageArgs}` : ''}`,
  ];
  if (positionals.length) {
    lines.push('', 'arguments:');
    for (const p of positionals) lines.push(`  ${p.name.padEnd(24)} ${p.description}`);
  }
  if (options.length) {
    lines.push('', 'options:');
    for (const o of options) {
      const left = `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.type === 'boolean' ? '' : ` ${o.value ?? '<value>'}`}`;
      const extra = [
        o.choices ? `one of: ${o.choices.join(', ')}` : '',
        o.default !== undefined && o.type !== 'boolean' ? `default: ${o.default}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      lines.push(`  ${left.padEnd(24)} ${o.description}${extra ? ` (${extra})` : ''}`);
    }
  }
  lines.push(`  ${'-h, --help'.padEnd(24)} show this help`);
  if (details) lines.push('', details);
  return lines.join('\n');
}
