// Builders for option declarations: `s.object({ ... })`, `s.duration().default(...)`, …
import type { Node } from 'yaml';
import type { Path } from '../source.ts';
import type { JsonSchema, ParseCtx, Spec } from './core.ts';
import { CustomSpec, EitherSpec, ListSpec, MapSpec, ObjectSpec, type KeyRule } from './composite.ts';
import { BooleanSpec, DurationSpec, EnumSpec, IntSpec, NumberSpec, SizeSpec, StringSpec } from './scalars.ts';

export type { Infer, JsonSchema, ParseCtx } from './core.ts';
export { Spec } from './core.ts';
export { ObjectSpec, MapSpec, ListSpec, EitherSpec } from './composite.ts';
export { formatDuration, formatSize, humanDuration, parseDuration, parseSize } from './scalars.ts';

export const s = {
  string: (pattern?: { regex: RegExp; explain: string }) => new StringSpec(pattern),
  int: (min?: number, max?: number) => new IntSpec(min, max),
  number: (exclusiveMin?: number) => new NumberSpec(exclusiveMin),
  boolean: () => new BooleanSpec(),
  /** Positive, unless zero has a meaning (`{ allowZero: true }`: e.g. "do not wait"). */
  duration: (opts: { allowZero?: boolean } = {}) => new DurationSpec(opts.allowZero),
  size: () => new SizeSpec(),
  enum: <T extends string>(values: readonly T[]) => new EnumSpec(values),
  list: <T>(item: Spec<T>, minItems?: number) => new ListSpec(item, minItems),
  map: <T>(value: Spec<T>, keyName: string, keyRule?: KeyRule) => new MapSpec(value, keyName, keyRule),
  object: <F extends Record<string, Spec<unknown>>>(title: string, fields: F) => new ObjectSpec(fields, title),
  either: <A, B>(name: string, scalar: Spec<A> | undefined, map: Spec<B> | undefined) => new EitherSpec(scalar, map, name),
  custom: <T>(name: string, json: JsonSchema, parse: (node: Node | null, path: Path, ctx: ParseCtx) => T | undefined) =>
    new CustomSpec(name, parse, json),
};
