// Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro body) with avsc.
// Decoding resolves the writer's schema (fetched by id, cached) to the caller's reader schema, so
// records written before and after a compatible change both read. Writer schemas for a batch are
// loaded once up front (prepare), then decoding is synchronous per record.
import { avroType, type AvroType } from './avro.ts';
import { DeserializationError, RegistryError, SchemaValidationError } from './errors.ts';
import type { RegistryClient } from './registry.ts';

export const MAGIC_BYTE = 0;

export function schemaIdOf(bytes: Buffer | null): number | undefined {
  return bytes && bytes.length >= 5 && bytes[0] === MAGIC_BYTE ? bytes.readUInt32BE(1) : undefined;
}

export function frame(id: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(id, 1);
  body.copy(out, 5);
  return out;
}

type Resolver = ReturnType<AvroType['createResolver']>;

/** What decoding and encoding ask of a registry: the HTTP client, or the test driver's in-memory one. */
export type SchemaSource = Pick<RegistryClient, 'schemaById' | 'lookup'>;

export class AvroSerde {
  private readonly writers = new Map<number, AvroType | DeserializationError>();
  private readonly resolvers = new Map<AvroType, Map<number, Resolver | DeserializationError>>();

  constructor(readonly registry: SchemaSource) {}

  /** Loads the writer schemas of these records (unknown ids are remembered as poison). */
  async prepare(values: Array<Buffer | null>): Promise<void> {
    const ids = new Set<number>();
    for (const v of values) {
      const id = schemaIdOf(v);
      if (id !== undefined && !this.writers.has(id)) ids.add(id);
    }
    for (const id of ids) {
      const text = await this.registry.schemaById(id); // RegistryUnavailableError propagates: retry, not poison
      this.writers.set(
        id,
        text === undefined
          ? new DeserializationError('unknown-schema-id', `schema id ${id} is not in the registry`, id)
          : avroType(JSON.parse(text)),
      );
    }
  }

  /** Decodes a prepared record; throws DeserializationError for poison. */
  decode(bytes: Buffer | null, reader?: AvroType): unknown {
    const id = schemaIdOf(bytes);
    if (id === undefined) {
      throw new DeserializationError(
        'no-magic-byte',
        bytes === null
          ? 'value is null (tombstone), not an Avro record'
          : `no Confluent magic byte: ${bytes.length} bytes starting ${bytes.subarray(0, 5).toString('hex')}`,
      );
    }
    const writer = this.writers.get(id);
    if (writer === undefined) throw new Error(`schema id ${id} was not prepared`);
    if (writer instanceof DeserializationError) throw writer;
    const body = bytes!.subarray(5);
    try {
      if (!reader || reader === writer) return writer.fromBuffer(body);
      return reader.fromBuffer(body, this.resolver(reader, writer, id));
    } catch (err) {
      if (err instanceof DeserializationError) throw err;
      throw new DeserializationError('undecodable', `bytes do not decode with schema id ${id}: ${(err as Error).message}`, id);
    }
  }

  private resolver(reader: AvroType, writer: AvroType, id: number): Resolver {
    let byId = this.resolvers.get(reader);
    if (!byId) this.resolvers.set(reader, (byId = new Map()));
    let r = byId.get(id);
    if (!r) {
      try {
        r = reader.createResolver(writer);
      } catch (err) {
        r = new DeserializationError(
          'unreadable-writer-schema',
          `the reader schema cannot read schema id ${id}: ${(err as Error).message}`,
          id,
        );
      }
      byId.set(id, r);
    }
    if (r instanceof DeserializationError) throw r;
    return r;
  }

  /** The id under which `schema` is registered for `subject`; a clear error when it is not. */
  async registeredId(subject: string, schemaText: string): Promise<number> {
    const found = await this.registry.lookup(subject, schemaText).catch((err: unknown) => {
      if (err instanceof RegistryError && err.status === 404) return undefined;
      throw err;
    });
    if (!found) throw new Error(`the schema for ${subject} is not registered; run \`weir deploy\` (or \`weir schemas push\`) first`);
    return found.id;
  }
}

// Encoding goes into one scratch buffer after a 5-byte header and is copied out once.
let scratch = Buffer.allocUnsafe(64 * 1024);

/** Encodes `value` with `type` under `id`; a mismatch names each field path and what it expected. */
export function encodeAvro(type: AvroType, id: number, value: unknown, subject: string): Buffer {
  let end: number;
  try {
    end = type.encode(value, scratch, 5);
    while (end < 0) {
      scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, 5 - end));
      end = type.encode(value, scratch, 5);
    }
  } catch {
    throw validationError(type, value, subject);
  }
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, 0, 0, end);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(id, 1);
  return out;
}

export function validationError(type: AvroType, value: unknown, subject: string): SchemaValidationError {
  const problems: SchemaValidationError['problems'] = [];
  type.isValid(value, {
    errorHook: (path: string[], any: unknown, t: AvroType) => {
      problems.push({ path: path.join('.') || '(root)', expected: describeExpected(t), actual: describeActual(any) });
    },
  });
  if (problems.length === 0) problems.push({ path: '(root)', expected: 'a value avsc can write', actual: describeActual(value) });
  return new SchemaValidationError(subject, problems);
}

function describeExpected(t: AvroType): string {
  const name = (t as unknown as { typeName: string }).typeName;
  if (name.startsWith('logical:')) return name.slice(8);
  if (name.startsWith('union')) return `one of ${((t as unknown as { types: AvroType[] }).types ?? []).map(describeExpected).join(' | ')}`;
  return name;
}

function describeActual(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing (field missing)';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return `${typeof v} ${String(v)}`;
}
