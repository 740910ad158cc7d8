// The compatibility table: the same cases are judged offline (unit) and by the registry
// (integration); both must agree with the expected verdict from the Avro specification.
import type { CompatibilityLevel } from '../../src/schema/compat.ts';

type Json = Record<string, unknown> | string | unknown[];
const rec = (fields: Json[], name = 'Order', extra: Record<string, unknown> = {}) => ({
  type: 'record',
  name,
  namespace: 'compat',
  fields,
  ...extra,
});
const f = (name: string, type: Json, extra: Record<string, unknown> = {}) => ({ name, type, ...extra });
const ID = f('id', 'string');
const color = (symbols: string[], extra: Record<string, unknown> = {}) => ({ type: 'enum', name: 'Color', symbols, ...extra });
const address = (fields: Json[]) => ({ type: 'record', name: 'Address', fields });

export interface CompatCase {
  name: string;
  level: CompatibilityLevel;
  /** Registered versions, oldest first. */
  previous: Json[];
  candidate: Json;
  compatible: boolean;
}

export const COMPAT_CASES: CompatCase[] = [
  {
    name: 'add field with default',
    level: 'BACKWARD',
    previous: [rec([ID])],
    candidate: rec([ID, f('amount', 'long', { default: 0 })]),
    compatible: true,
  },
  {
    name: 'add field without default',
    level: 'BACKWARD',
    previous: [rec([ID])],
    candidate: rec([ID, f('amount', 'long')]),
    compatible: false,
  },
  {
    name: 'remove field (backward)',
    level: 'BACKWARD',
    previous: [rec([ID, f('amount', 'long')])],
    candidate: rec([ID]),
    compatible: true,
  },
  {
    name: 'remove field without default (forward)',
    level: 'FORWARD',
    previous: [rec([ID, f('amount', 'long')])],
    candidate: rec([ID]),
    compatible: false,
  },
  {
    name: 'remove field with default (forward)',
    level: 'FORWARD',
    previous: [rec([ID, f('amount', 'long', { default: 0 })])],
    candidate: rec([ID]),
    compatible: true,
  },
  {
    name: 'add field without default (forward)',
    level: 'FORWARD',
    previous: [rec([ID])],
    candidate: rec([ID, f('amount', 'long')]),
    compatible: true,
  },
  {
    name: 'add field with default (full)',
    level: 'FULL',
    previous: [rec([ID])],
    candidate: rec([ID, f('amount', 'long', { default: 0 })]),
    compatible: true,
  },
  {
    name: 'add field without default (full)',
    level: 'FULL',
    previous: [rec([ID])],
    candidate: rec([ID, f('amount', 'long')]),
    compatible: false,
  },
  {
    name: 'promote int to long',
    level: 'BACKWARD',
    previous: [rec([ID, f('n', 'int')])],
    candidate: rec([ID, f('n', 'long')]),
    compatible: true,
  },
  {
    name: 'promote long to float',
    level: 'BACKWARD',
    previous: [rec([ID, f('n', 'long')])],
    candidate: rec([ID, f('n', 'float')]),
    compatible: true,
  },
  {
    name: 'promote float to double',
    level: 'BACKWARD',
    previous: [rec([ID, f('n', 'float')])],
    candidate: rec([ID, f('n', 'double')]),
    compatible: true,
  },
  {
    name: 'narrow long to int',
    level: 'BACKWARD',
    previous: [rec([ID, f('n', 'long')])],
    candidate: rec([ID, f('n', 'int')]),
    compatible: false,
  },
  {
    name: 'promote int to long (forward)',
    level: 'FORWARD',
    previous: [rec([ID, f('n', 'int')])],
    candidate: rec([ID, f('n', 'long')]),
    compatible: false,
  },
  {
    name: 'string to bytes',
    level: 'BACKWARD',
    previous: [rec([ID, f('s', 'string')])],
    candidate: rec([ID, f('s', 'bytes')]),
    compatible: true,
  },
  {
    name: 'bytes to string',
    level: 'BACKWARD',
    previous: [rec([ID, f('s', 'bytes')])],
    candidate: rec([ID, f('s', 'string')]),
    compatible: true,
  },
  {
    name: 'string to int',
    level: 'BACKWARD',
    previous: [rec([ID, f('s', 'string')])],
    candidate: rec([ID, f('s', 'int')]),
    compatible: false,
  },
  {
    name: 'enum symbol added',
    level: 'BACKWARD',
    previous: [rec([ID, f('c', color(['RED', 'GREEN']))])],
    candidate: rec([ID, f('c', color(['RED', 'GREEN', 'BLUE']))]),
    compatible: true,
  },
  {
    name: 'enum symbol removed',
    level: 'BACKWARD',
    previous: [rec([ID, f('c', color(['RED', 'GREEN']))])],
    candidate: rec([ID, f('c', color(['RED']))]),
    compatible: false,
  },
  {
    name: 'enum symbol added (forward)',
    level: 'FORWARD',
    previous: [rec([ID, f('c', color(['RED', 'GREEN']))])],
    candidate: rec([ID, f('c', color(['RED', 'GREEN', 'BLUE']))]),
    compatible: false,
  },
  {
    name: 'enum symbol added, old enum has a default (forward)',
    level: 'FORWARD',
    previous: [rec([ID, f('c', color(['RED', 'GREEN'], { default: 'RED' }))])],
    candidate: rec([ID, f('c', color(['RED', 'GREEN', 'BLUE'], { default: 'RED' }))]),
    compatible: true,
  },
  {
    name: 'rename field with alias',
    level: 'BACKWARD',
    previous: [rec([ID, f('amount', 'long')])],
    candidate: rec([ID, f('total', 'long', { aliases: ['amount'] })]),
    compatible: true,
  },
  {
    name: 'rename field without alias',
    level: 'BACKWARD',
    previous: [rec([ID, f('amount', 'long')])],
    candidate: rec([ID, f('total', 'long')]),
    compatible: false,
  },
  {
    name: 'rename record with alias',
    level: 'BACKWARD',
    previous: [rec([ID])],
    candidate: rec([ID], 'Purchase', { aliases: ['compat.Order'] }),
    compatible: true,
  },
  { name: 'rename record without alias', level: 'BACKWARD', previous: [rec([ID])], candidate: rec([ID], 'Purchase'), compatible: false },
  {
    name: 'union branch added',
    level: 'BACKWARD',
    previous: [rec([ID, f('v', ['null', 'string'], { default: null })])],
    candidate: rec([ID, f('v', ['null', 'string', 'long'], { default: null })]),
    compatible: true,
  },
  {
    name: 'union branch removed',
    level: 'BACKWARD',
    previous: [rec([ID, f('v', ['null', 'string', 'long'], { default: null })])],
    candidate: rec([ID, f('v', ['null', 'string'], { default: null })]),
    compatible: false,
  },
  {
    name: 'field made optional',
    level: 'BACKWARD',
    previous: [rec([ID, f('v', 'string')])],
    candidate: rec([ID, f('v', ['null', 'string'], { default: null })]),
    compatible: true,
  },
  {
    name: 'optional field made required',
    level: 'BACKWARD',
    previous: [rec([ID, f('v', ['null', 'string'], { default: null })])],
    candidate: rec([ID, f('v', 'string')]),
    compatible: false,
  },
  {
    name: 'nested record field added without default',
    level: 'BACKWARD',
    previous: [rec([ID, f('address', address([f('city', 'string')]))])],
    candidate: rec([ID, f('address', address([f('city', 'string'), f('zip', 'string')]))]),
    compatible: false,
  },
  {
    name: 'nested record field added with default',
    level: 'BACKWARD',
    previous: [rec([ID, f('address', address([f('city', 'string')]))])],
    candidate: rec([ID, f('address', address([f('city', 'string'), f('zip', 'string', { default: '' })]))]),
    compatible: true,
  },
  {
    name: 'array items promoted',
    level: 'BACKWARD',
    previous: [rec([ID, f('xs', { type: 'array', items: 'int' })])],
    candidate: rec([ID, f('xs', { type: 'array', items: 'long' })]),
    compatible: true,
  },
  {
    name: 'map values changed incompatibly',
    level: 'BACKWARD',
    previous: [rec([ID, f('m', { type: 'map', values: 'string' })])],
    candidate: rec([ID, f('m', { type: 'map', values: 'int' })]),
    compatible: false,
  },
  {
    name: 'namespace changed',
    level: 'BACKWARD',
    previous: [rec([ID])],
    candidate: { ...rec([ID]), namespace: 'compat.v2' },
    compatible: true,
  },
  {
    name: 'required field, compatible with latest only',
    level: 'BACKWARD',
    previous: [rec([ID]), rec([ID, f('n', 'int', { default: 0 })])],
    candidate: rec([ID, f('n', 'int')]),
    compatible: true,
  },
  {
    name: 'required field, not with the first version',
    level: 'BACKWARD_TRANSITIVE',
    previous: [rec([ID]), rec([ID, f('n', 'int', { default: 0 })])],
    candidate: rec([ID, f('n', 'int')]),
    compatible: false,
  },
  {
    name: 'field removed, old versions need it',
    level: 'FORWARD_TRANSITIVE',
    previous: [rec([ID, f('n', 'int')]), rec([ID, f('n', 'int', { default: 0 })])],
    candidate: rec([ID]),
    compatible: false,
  },
  {
    name: 'full transitive with defaults everywhere',
    level: 'FULL_TRANSITIVE',
    previous: [rec([ID]), rec([ID, f('a', 'int', { default: 0 })])],
    candidate: rec([ID, f('a', 'int', { default: 0 }), f('b', 'string', { default: '' })]),
    compatible: true,
  },
  {
    name: 'anything goes under NONE',
    level: 'NONE',
    previous: [rec([ID, f('n', 'int')])],
    candidate: rec([f('other', 'boolean')]),
    compatible: true,
  },
];
