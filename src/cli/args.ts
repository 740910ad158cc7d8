// Each command declares its options once; parsing, validation messages and --help come from that.
interface BaseOptionSpec {
  name: string;
  description: string;
  short?: string;
  /** Placeholder shown in help, e.g. `<file>`. */
  value?: string;
  choices?: readonly string[];
  default?: string | number | boolean;
}

/**
 * The values a number option accepts. The type makes every number option declare one, so the range
 * is checked here, once, and no command has to remember to (`--limit -5` used to be accepted).
 */
export interface NumberRange {
  /** Whole numbers only: counts, offsets, partitions, ports. */
  integer?: boolean;
  /** The smallest value accepted. */
  min?: number;
  /** Values must be greater than this: rates and intervals, where 0 means nothing but 0.5 does. */
  above?: number;
  /** The largest value accepted. */
  max?: number;
}

export type OptionSpec =
  | (BaseOptionSpec & { type: 'boolean' | 'string' | 'list'; range?: never })
  | (BaseOptionSpec & { type: 'number'; range: NumberRange });

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
    const wanted = `${flag(spec)} expects ${describeRange(spec.range)}`;
    if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${wanted}; got ${JSON.stringify(raw)}`, command);
    if (!inRange(n, spec.range)) throw new UsageError(`${wanted}; got ${raw}`, command);
    return n;
  }
  if (spec.type === 'list')
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return raw;
}

/** `a whole number from 0 to 65535`, `a number > 0 and ≤ 86400`: for errors and --help. */
export function describeRange(r: NumberRange): string {
  const both = r.min !== undefined && r.max !== undefined;
  const bounds = [
    both ? `from ${r.min} to ${r.max}` : r.min !== undefined ? `≥ ${r.min}` : '',
    r.above !== undefined ? `> ${r.above}` : '',
    !both && r.max !== undefined ? `≤ ${r.max}` : '',
  ].filter(Boolean);
  return `${r.integer ? 'a whole number' : 'a number'}${bounds.length ? ` ${bounds.join(' and ')}` : ''}`;
}

// Safe integers only: an offset beyond 2^53 would silently become another offset.
const inRange = (n: number, r: NumberRange) =>
  (!r.integer || Number.isSafeInteger(n)) &&
  (r.min === undefined || n >= r.min) &&
  (r.above === undefined || n > r.above) &&
  (r.max === undefined || n <= r.max);

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
        o.type === 'number' ? describeRange(o.range).replace(/^a /, '') : '',
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
