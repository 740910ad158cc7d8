// Avro schema files: parse with avsc, fingerprint, and look fields up by path.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { LOGICAL_TYPES, rememberUnmappedLogicalType } from './logical.ts';

export type AvroType = avro.Type;

/**
 * How every schema is parsed: plain unions, logical types mapped or remembered (see logical.ts). A
 * fresh object per parse: avsc keeps its registry of named types in the options it is given.
 */
const avroOptions = () =>
  ({
    wrapUnions: false,
    logicalTypes: LOGICAL_TYPES,
    typeHook: rememberUnmappedLogicalType,
  }) as Partial<avro.ForSchemaOptions> as avro.ForSchemaOptions;

export function avroType(schema: unknown): AvroType {
  return avro.Type.forSchema(schema as avro.Schema, avroOptions());
}

export interface AvroSchemaFile {
  /** The schema as written (JSON), logical types included. */
  json: unknown;
  /** What is registered and looked up: the file's JSON, minified. */
  text: string;
  type: AvroType;
  /** Normalized JSON, stable across formatting changes; equal canonical forms mean an unchanged schema. */
  canonical: string;
  fingerprint: string;
}

export class InvalidAvroSchema extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'InvalidAvroSchema';
  }
}

export function parseAvroSchema(text: string, file: string): AvroSchemaFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidAvroSchema(file, `not JSON: ${(err as Error).message}`);
  }
  let type: AvroType;
  try {
    type = avroType(json);
  } catch (err) {
    throw new InvalidAvroSchema(file, `not a valid Avro schema: ${(err as Error).message}`);
  }
  // Attributes included: a changed decimal precision is a different schema. avsc's export drops the
  // logical types it does not map (timestamps, dates), so where the JSON declares them is added.
  const exported = type.schema({ exportAttrs: true }) as unknown;
  const exportedText = JSON.stringify(exported);
  return {
    json,
    text: JSON.stringify(json),
    type,
    canonical: JSON.stringify({ schema: exported, logicalTypes: logicalTypeDeclarations(json) }),
    // Of avsc's export alone, as before, so the fingerprints in existing plans do not move.
    fingerprint: createHash('sha256').update(exportedText).digest('hex').slice(0, 16),
  };
}

/** Each `logicalType` in a schema's JSON with its JSON pointer, precision and scale (defaults are values, not types). */
function logicalTypeDeclarations(json: unknown, pointer = ''): unknown[][] {
  if (json === null || typeof json !== 'object') return [];
  const node = json as Record<string, unknown>;
  const here = typeof node.logicalType === 'string' ? [[pointer, node.logicalType, node.precision, node.scale]] : [];
  const inside = Object.entries(node).filter(([key]) => key !== 'default');
  return [...here, ...inside.flatMap(([key, value]) => logicalTypeDeclarations(value, `${pointer}/${key}`))];
}

export function loadAvroSchema(file: string): AvroSchemaFile {
  return parseAvroSchema(readFileSync(file, 'utf8'), file);
}

interface RecordLike {
  typeName: string;
  fields?: Array<{ name: string; type: AvroType }>;
  types?: AvroType[];
}

/** Strips `null` from a union (`["null", T]` → T); other unions stay. */
export function nonNull(type: AvroType): AvroType {
  const t = type as unknown as RecordLike;
  if (t.types) {
    const rest = t.types.filter((b) => (b as unknown as RecordLike).typeName !== 'null');
    if (rest.length === 1) return rest[0]!;
  }
  return type;
}

/** The type of a (possibly nested, dot-separated) field, looking through optional unions. */
export function fieldType(type: AvroType, path: string): AvroType | undefined {
  let current: AvroType | undefined = type;
  for (const name of path.split('.')) {
    const rec: RecordLike | undefined = current ? (nonNull(current) as unknown as RecordLike) : undefined;
    if (!rec || rec.typeName !== 'record') return undefined;
    current = rec.fields?.find((f: { name: string }) => f.name === name)?.type;
  }
  return current;
}

/** Field names of a record type (for hints). */
export function fieldNames(type: AvroType): string[] {
  const rec = nonNull(type) as unknown as RecordLike;
  return rec.typeName === 'record' ? (rec.fields ?? []).map((f) => f.name) : [];
}
