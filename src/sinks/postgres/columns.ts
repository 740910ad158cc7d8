// Column mapping of the Postgres sink: each column's Postgres type, derived from the Avro type of
// the field it maps (or given explicitly), and the conversion of values to Postgres text input.
// Everything travels as text and is cast in SQL, so one set-based statement handles every type.
import type { PlannedColumn } from '../../topology/plan.ts';
import type { SinkRecord } from '../sink.ts';

export interface Column {
  name: string;
  source: string;
  /** Postgres type, e.g. `bigint`, `numeric(12,2)`, `text[]`, `jsonb`. */
  type: string;
  toText: (v: unknown) => string | null;
}

type Json = string | { type: unknown; [k: string]: unknown } | Json[];
type Named = Map<string, Json>;

function register(schema: Json, named: Named, ns?: string): void {
  if (Array.isArray(schema)) return schema.forEach((s) => register(s, named, ns));
  if (typeof schema !== 'object' || schema === null) return;
  const s = schema as Record<string, unknown>;
  const space = (s.namespace as string | undefined) ?? ns;
  if (typeof s.name === 'string' && ['record', 'enum', 'fixed'].includes(s.type as string)) {
    named.set(s.name, schema);
    if (space && !s.name.includes('.')) named.set(`${space}.${s.name}`, schema);
  }
  if (s.type === 'record') for (const f of s.fields as Array<{ type: Json }>) register(f.type, named, space);
  else if (s.type === 'array') register(s.items as Json, named, space);
  else if (s.type === 'map') register(s.values as Json, named, space);
  else if (typeof s.type === 'object') register(s.type as Json, named, space);
}

function deref(schema: Json, named: Named): Json {
  return typeof schema === 'string' && named.has(schema) ? named.get(schema)! : schema;
}

/** The JSON schema of a field path (through `["null", T]` unions), or undefined. */
export function fieldSchema(root: unknown, path: string): Json | undefined {
  const named: Named = new Map();
  register(root as Json, named);
  let current: Json | undefined = root as Json;
  for (const part of path.split('.')) {
    current = nonNull(deref(current!, named), named);
    if (typeof current !== 'object' || Array.isArray(current) || current.type !== 'record') return undefined;
    current = (current.fields as Array<{ name: string; type: Json }>).find((f) => f.name === part)?.type;
    if (current === undefined) return undefined;
  }
  return nonNull(deref(current!, named), named);
}

function nonNull(schema: Json, named: Named): Json {
  if (Array.isArray(schema)) {
    const rest = schema.filter((s) => s !== 'null');
    return rest.length === 1 ? deref(rest[0]!, named) : schema;
  }
  if (typeof schema === 'object' && typeof schema.type === 'object') return nonNull(schema.type as Json, named);
  return schema;
}

const PRIMITIVE: Record<string, string> = {
  string: 'text',
  int: 'integer',
  long: 'bigint',
  float: 'real',
  double: 'double precision',
  boolean: 'boolean',
  bytes: 'bytea',
  null: 'text',
};

export function pgTypeOf(schema: Json | undefined): string {
  if (schema === undefined) return 'text';
  if (typeof schema === 'string') return PRIMITIVE[schema] ?? 'jsonb';
  if (Array.isArray(schema)) return 'jsonb';
  const logical = schema.logicalType as string | undefined;
  if (logical === 'timestamp-millis' || logical === 'timestamp-micros') return 'timestamptz';
  if (logical === 'local-timestamp-millis' || logical === 'local-timestamp-micros') return 'timestamp';
  if (logical === 'date') return 'date';
  if (logical === 'time-millis' || logical === 'time-micros') return 'time';
  if (logical === 'uuid') return 'uuid';
  if (logical === 'decimal') return `numeric(${schema.precision as number},${(schema.scale as number | undefined) ?? 0})`;
  switch (schema.type) {
    case 'enum':
      return 'text';
    case 'fixed':
      return 'bytea';
    case 'array': {
      const item = schema.items as Json;
      const inner =
        typeof item === 'string'
          ? PRIMITIVE[item]
          : typeof item === 'object' && !Array.isArray(item) && item.type === 'enum'
            ? 'text'
            : undefined;
      return inner && inner !== 'bytea' ? `${inner}[]` : 'jsonb';
    }
    case 'record':
    case 'map':
      return 'jsonb';
    default:
      return typeof schema.type === 'string' ? (PRIMITIVE[schema.type] ?? 'jsonb') : 'jsonb';
  }
}

function jsonSafe(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

const arrayItem = (v: unknown) => (v === null || v === undefined ? 'NULL' : `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);

/** Converts a JavaScript value to Postgres text input for `type` (micros: the Avro logical type). */
export function converter(type: string, micros = false): (v: unknown) => string | null {
  const t = type.toLowerCase();
  return (v) => {
    if (v === null || v === undefined) return null;
    if (t === 'jsonb' || t === 'json') return JSON.stringify(jsonSafe(v));
    if (t.endsWith('[]')) return Array.isArray(v) ? `{${v.map(arrayItem).join(',')}}` : null;
    if (t === 'bytea') return Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : String(v);
    if (t.startsWith('timestamp')) return typeof v === 'number' ? new Date(micros ? v / 1000 : v).toISOString() : String(v);
    if (t === 'date') return typeof v === 'number' ? new Date(v * 86_400_000).toISOString().slice(0, 10) : String(v);
    if (Buffer.isBuffer(v)) return v.toString('utf8');
    if (typeof v === 'object') return JSON.stringify(jsonSafe(v));
    return String(v);
  };
}

const ATTRIBUTE_TYPES: Record<string, string> = {
  $eventId: 'text',
  $key: 'text',
  $topic: 'text',
  $partition: 'integer',
  $offset: 'bigint',
  $timestamp: 'timestamptz',
};

/** Columns with their types, from the plan's mapping and the reader schema (JSON) when Avro. */
export function resolveColumns(columns: readonly PlannedColumn[], schemaJson: unknown | undefined): Column[] {
  return columns.map((c) => {
    const fs = c.source.startsWith('$') ? undefined : schemaJson ? fieldSchema(schemaJson, c.source) : undefined;
    const type = c.type ?? ATTRIBUTE_TYPES[c.source] ?? pgTypeOf(fs);
    const micros = typeof fs === 'object' && !Array.isArray(fs) && String(fs.logicalType ?? '').endsWith('micros');
    return { name: c.name, source: c.source, type, toText: converter(type, micros) };
  });
}

/** A column's value in a record: a record attribute (`$eventId`, `$key`, …) or a field path of the value. */
export function columnValue(record: SinkRecord, source: string): unknown {
  switch (source) {
    case '$eventId':
      return record.eventId;
    case '$key':
      return record.rawKey?.toString('utf8') ?? null;
    case '$topic':
      return record.topic;
    case '$partition':
      return record.partition;
    case '$offset':
      return record.offset;
    case '$timestamp':
      return record.timestamp;
  }
  let v: unknown = record.value;
  for (const part of source.split('.')) v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[part];
  return v;
}
