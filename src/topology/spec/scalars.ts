// Scalar option types. Durations and sizes are written with units ("30s", "1MiB") and parsed to
// milliseconds and bytes.
import { isScalar, type Node } from 'yaml';
import type { Path } from '../source.ts';
import { nodeKind, report, Spec, type JsonSchema, type ParseCtx } from './core.ts';

function scalarValue(node: Node | null): unknown {
  return node && isScalar(node) ? node.value : undefined;
}

export class StringSpec extends Spec<string> {
  constructor(private readonly pattern?: { regex: RegExp; explain: string }) {
    super();
  }
  typeName() {
    return 'string';
  }
  parse(node: Node | null, _path: Path, ctx: ParseCtx) {
    const v = scalarValue(node);
    if (typeof v === 'number' || typeof v === 'boolean') return String(v); // `version: 2` is fine as "2"
    if (typeof v !== 'string') return report(ctx, node, 'wrong-type', `expected a string, got ${nodeKind(node)}`);
    if (this.pattern && !this.pattern.regex.test(v))
      return report(ctx, node, 'invalid-value', `${JSON.stringify(v)} ${this.pattern.explain}`);
    return v;
  }
  protected schema(): JsonSchema {
    return this.pattern ? { type: 'string', pattern: this.pattern.regex.source } : { type: 'string' };
  }
}

export class IntSpec extends Spec<number> {
  constructor(
    private readonly min = -Infinity,
    private readonly max = Infinity,
  ) {
    super();
  }
  typeName() {
    return this.min === 1 ? 'positive integer' : 'integer';
  }
  parse(node: Node | null, _path: Path, ctx: ParseCtx) {
    const v = scalarValue(node);
    if (typeof v !== 'number' || !Number.isInteger(v)) return report(ctx, node, 'wrong-type', `expected an integer, got ${nodeKind(node)}`);
    if (v < this.min || v > this.max) {
      const range = this.max === Infinity ? `at least ${this.min}` : `between ${this.min} and ${this.max}`;
      return report(ctx, node, 'invalid-value', `${v} is out of range: must be ${range}`);
    }
    return v;
  }
  protected schema(): JsonSchema {
    return {
      type: 'integer',
      ...(this.min > -Infinity ? { minimum: this.min } : {}),
      ...(this.max < Infinity ? { maximum: this.max } : {}),
    };
  }
}

export class NumberSpec extends Spec<number> {
  constructor(private readonly exclusiveMin = -Infinity) {
    super();
  }
  typeName() {
    return this.exclusiveMin === 0 ? 'positive number' : 'number';
  }
  parse(node: Node | null, _path: Path, ctx: ParseCtx) {
    const v = scalarValue(node);
    if (typeof v !== 'number') return report(ctx, node, 'wrong-type', `expected a number, got ${nodeKind(node)}`);
    if (!(v > this.exclusiveMin)) return report(ctx, node, 'invalid-value', `${v} must be greater than ${this.exclusiveMin}`);
    return v;
  }
  protected schema(): JsonSchema {
    return { type: 'number', ...(this.exclusiveMin > -Infinity ? { exclusiveMinimum: this.exclusiveMin } : {}) };
  }
}

export class BooleanSpec extends Spec<boolean> {
  typeName() {
    return 'boolean';
  }
  parse(node: Node | null, _path: Path, ctx: ParseCtx) {
    const v = scalarValue(node);
    return typeof v === 'boolean' ? v : report(ctx, node, 'wrong-type', `expected true or false, got ${nodeKind(node)}`);
  }
  protected schema(): JsonSchema {
    return { type: 'boolean' };
  }
}

export class EnumSpec<T extends string> extends Spec<T> {
  constructor(readonly values: readonly T[]) {
    super();
  }
  typeName() {
    return this.values.map((v) => `\`${v}\``).join(' | ');
  }
  parse(node: Node | null, _path: Path, ctx: ParseCtx) {
    const v = scalarValue(node);
    if (typeof v === 'string' && (this.values as readonly string[]).includes(v)) return v as T;
    return report(
      ctx,
      node,
      typeof v === 'string' ? 'invalid-value' : 'wrong-type',
      `expected one of ${this.values.join(', ')}, got ${nodeKind(node)}`,
    );
  }
  protected schema(): JsonSchema {
    return { type: 'string', enum: [...this.values] };
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1_000, MB: 1_000_000, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** "5s" → 5000. Undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!) : undefined;
}

/** A duration for messages: "530.1s", "1m", "250ms". */
export function humanDuration(ms: number): string {
  if (ms % 1000 !== 0 || ms < 1000) return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
  return formatDuration(ms);
}

export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * SIZE_UNITS[m[2]!]!) : undefined;
}

/**
 * Durations are positive unless `allowZero`: a zero timeout fails every call, a zero retry delay
 * retries at once (no delay tier at all), Redis refuses a zero TTL, a zero retention keeps nothing.
 */
export class DurationSpec extends Spec<number> {
  constructor(private readonly allowZero = false) {
    super();
  }
  typeName() {
    return this.allowZero ? 'duration' : 'positive duration';
  }
  parse(node: Node | null, _path: Path, ctx: ParseCtx) {
    const v = scalarValue(node);
    const ms = typeof v === 'string' ? parseDuration(v) : undefined;
    if (ms === 0 && !this.allowZero)
      return report(ctx, node, 'invalid-value', `expected a positive duration, got ${v}`, 'a duration here must be at least 1ms');
    if (ms !== undefined) return ms;
    const hint = typeof v === 'number' ? `add a unit, e.g. ${v}s or ${v}ms` : 'write a number and a unit: ms, s, m, h or d (e.g. 30s, 5m)';
    return report(
      ctx,
      node,
      typeof v === 'string' || typeof v === 'number' ? 'invalid-value' : 'wrong-type',
      `expected a duration, got ${nodeKind(node)}`,
      hint,
    );
  }
  protected schema(): JsonSchema {
    // A positive one: not only zeros ("0s", "0.0m").
    const nonZero = this.allowZero ? '' : '(?![0.]+\\s*(ms|s|m|h|d)$)';
    return { type: 'string', pattern: `^${nonZero}\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)$` };
  }
}

export class SizeSpec extends Spec<number> {
  typeName() {
    return 'size';
  }
  parse(node: Node | null, _path: Path, ctx: ParseCtx) {
    const v = scalarValue(node);
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
    const bytes = typeof v === 'string' ? parseSize(v) : undefined;
    if (bytes !== undefined) return bytes;
    return report(
      ctx,
      node,
      'invalid-value',
      `expected a size, got ${nodeKind(node)}`,
      'write bytes or a number with a unit: B, KB, MB, KiB, MiB (e.g. 1MiB)',
    );
  }
  protected schema(): JsonSchema {
    return {
      oneOf: [
        { type: 'integer', minimum: 1 },
        { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(B|KB|MB|GB|KiB|MiB|GiB)$' },
      ],
    };
  }
}
