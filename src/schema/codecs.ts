// Per-topic key and value codecs from the plan's formats: string, json, bytes or Avro via the
// registry. Workers decode with the step's reader schema and encode with the registered id of the
// output topic's schema.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FormatRef } from '../topology/language.ts';
import { parseAvroSchema, type AvroSchemaFile, type AvroType } from './avro.ts';
import { DeserializationError } from './errors.ts';
import { encodeAvro, type AvroSerde } from './serde.ts';

export interface Codec {
  readonly format: FormatRef['format'];
  /** For Avro, call serde.prepare on the batch first. */
  decode(bytes: Buffer | null): unknown;
  encode(value: unknown): Buffer | null;
}

export interface CodecOptions {
  serde: AvroSerde;
  root: string;
  subject: string;
  /** Decode into this schema instead of the topic's (a step's reader schema path). */
  readerSchema?: string | null;
  /** Encoding needs the registered id; decoding-only codecs skip the lookup. */
  forEncoding: boolean;
}

// Keyed by content, not path: a file edited while the process runs is a different schema.
const schemaCache = new Map<string, AvroSchemaFile>();
export function schemaFile(root: string, relPath: string): AvroSchemaFile {
  const text = readFileSync(join(root, relPath), 'utf8');
  let s = schemaCache.get(text);
  if (!s) schemaCache.set(text, (s = parseAvroSchema(text, relPath)));
  return s;
}

const plain: Record<'string' | 'json' | 'bytes', Codec> = {
  string: {
    format: 'string',
    decode: (b) => (b === null ? null : b.toString('utf8')),
    encode: (v) => (v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8')),
  },
  json: {
    format: 'json',
    decode: (b) => {
      if (b === null) return null;
      try {
        return JSON.parse(b.toString('utf8'));
      } catch (err) {
        throw new DeserializationError('undecodable', `not JSON: ${(err as Error).message}`);
      }
    },
    encode: (v) => (v === undefined ? null : Buffer.from(JSON.stringify(v), 'utf8')),
  },
  bytes: {
    format: 'bytes',
    decode: (b) => b,
    encode: (v) => {
      if (v === null || v === undefined) return null;
      if (!Buffer.isBuffer(v)) throw new TypeError('a bytes topic takes Buffer values');
      return v;
    },
  },
};

export async function codecFor(ref: FormatRef, opts: CodecOptions): Promise<Codec> {
  if (ref.format !== 'avro') return plain[ref.format];
  const writer = schemaFile(opts.root, ref.schema);
  const reader: AvroType = opts.readerSchema ? schemaFile(opts.root, opts.readerSchema).type : writer.type;
  const id = opts.forEncoding ? await opts.serde.registeredId(opts.subject, writer.text) : undefined;
  return {
    format: 'avro',
    decode: (b) => opts.serde.decode(b, reader),
    encode: (v) => {
      if (id === undefined) throw new Error(`codec for ${opts.subject} was created for decoding only`);
      return encodeAvro(writer.type, id, v, opts.subject);
    },
  };
}
