// JSON lines → records for `weir produce`: each line encoded with the topic's key and value formats (Avro
// with the schema as registered), the whole input checked before anything is sent.
import type { Header, OutboundRecord } from '../../kafka/types.ts';
import type { AvroType } from '../../schema/avro.ts';
import { codecFor, schemaFile, type Codec } from '../../schema/codecs.ts';
import type { AvroSerde } from '../../schema/serde.ts';
import type { FormatRef } from '../../topology/language.ts';
import { subjectName } from '../../topology/naming.ts';
import type { TopicFormats } from './formats.ts';

/** Fields of a line that describes a record rather than being its value. */
const ENVELOPE_FIELDS = new Set(['key', 'value', 'headers', 'partition', 'timestamp']);

/**
 * A line is a record when it is an object with a `value` field and no fields but key, value,
 * headers, partition and timestamp; any other JSON value is the record's value.
 */
export function asRecordLine(parsed: unknown): {
  key?: unknown;
  value: unknown;
  headers?: unknown;
  partition?: unknown;
  timestamp?: unknown;
} {
  if (isPlainObject(parsed) && Object.hasOwn(parsed, 'value') && Object.keys(parsed).every((k) => ENVELOPE_FIELDS.has(k)))
    return parsed as { value: unknown };
  return { value: parsed };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A line that cannot become a record; `line` counts from 1 in its source. */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    readonly source: string | undefined,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${source ? `${source}: ` : ''}line ${line}: ${reason}`);
  }
}

interface PartEncoder {
  format: FormatRef['format'];
  encode(value: unknown): Buffer;
}

export class LineEncoder {
  private constructor(
    readonly topic: string,
    private readonly key: PartEncoder,
    private readonly value: PartEncoder,
    private readonly partitions: number | undefined,
  ) {}

  /**
   * Encoders for the topic's formats. Avro needs the schema registered under `<topic>-key|value`
   * (its id is looked up once here). `partitions`, when known, bounds the `partition` field.
   */
  static async create(formats: TopicFormats, serde: AvroSerde | undefined, partitions?: number): Promise<LineEncoder> {
    const part = async (which: 'key' | 'value'): Promise<PartEncoder> => {
      const ref = formats[which];
      if (ref.format !== 'avro') return plainEncoder(which, ref.format);
      if (!serde) throw new Error(`${formats.topic} ${which}s are Avro: a schema registry is needed`);
      const subject = subjectName(formats.topic, which);
      const codec: Codec = await codecFor(ref, { serde, root: formats.root, subject, forEncoding: true });
      const type = schemaFile(formats.root, ref.schema).type;
      return {
        format: 'avro',
        encode: (v) => {
          const value = fromJson(type, v);
          // avsc would drop them silently: a misspelt optional field would go unnoticed.
          const undeclared = undeclaredFields(type, value);
          if (undeclared.length > 0)
            throw new Error(`value does not match ${subject}: ${undeclared.map((f) => `\`${f}\``).join(', ')} not in the schema`);
          return codec.encode(value)!;
        },
      };
    };
    return new LineEncoder(formats.topic, await part('key'), await part('value'), partitions);
  }

  /** One line of input as a record; throws an Error saying why it cannot be one. */
  encode(line: string): OutboundRecord {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      throw new Error(`not JSON: ${(err as Error).message}`);
    }
    const r = asRecordLine(parsed);
    const out: OutboundRecord = {
      topic: this.topic,
      key: r.key === undefined || r.key === null ? null : this.key.encode(r.key),
      value: r.value === null ? null : this.value.encode(r.value),
    };
    if (r.headers !== undefined) out.headers = headersOf(r.headers);
    if (r.partition !== undefined) {
      const p = r.partition;
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 0)
        throw new Error(`partition must be a whole number ≥ 0; got ${JSON.stringify(p)}`);
      if (this.partitions !== undefined && p >= this.partitions)
        throw new Error(`partition ${p} does not exist: ${this.topic} has ${this.partitions} (0-${this.partitions - 1})`);
      out.partition = p;
    }
    if (r.timestamp !== undefined) {
      const t = r.timestamp;
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 0)
        throw new Error(`timestamp must be epoch milliseconds (a whole number ≥ 0); got ${JSON.stringify(t)}`);
      out.timestamp = t;
    }
    return out;
  }
}

function plainEncoder(which: 'key' | 'value', format: 'string' | 'json' | 'bytes'): PartEncoder {
  switch (format) {
    case 'string':
      return {
        format,
        encode: (v) => {
          if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return Buffer.from(String(v), 'utf8');
          throw new Error(`${which}: ${which}s of this topic are strings; got ${describe(v)}`);
        },
      };
    case 'json':
      return { format, encode: (v) => Buffer.from(JSON.stringify(v), 'utf8') };
    case 'bytes':
      return {
        format,
        encode: (v) => {
          if (typeof v === 'string' && BASE64.test(v)) return Buffer.from(v, 'base64');
          throw new Error(`${which}: ${which}s of this topic are bytes, written as base64 text; got ${describe(v)}`);
        },
      };
  }
}

function headersOf(v: unknown): Header[] {
  if (!isPlainObject(v)) throw new Error(`headers must be an object of strings, like {"source": "backfill"}; got ${describe(v)}`);
  return Object.entries(v).map(([key, value]) => {
    if (typeof value !== 'string') throw new Error(`header ${JSON.stringify(key)} must be a string; got ${describe(value)}`);
    return { key, value: Buffer.from(value, 'utf8') };
  });
}

interface AvroTypeShape {
  typeName: string;
  fields?: Array<{ name: string; type: AvroType }>;
  itemsType?: AvroType;
  valuesType?: AvroType;
  types?: AvroType[];
}

/** JSON has no bytes: Avro `bytes` and `fixed` are written as base64 text (as `weir consume` prints them). */
export function fromJson(type: AvroType, v: unknown): unknown {
  if (type.isValid(v)) return v;
  const t = type as unknown as AvroTypeShape;
  switch (t.typeName) {
    case 'bytes':
    case 'fixed':
      return typeof v === 'string' && BASE64.test(v) ? Buffer.from(v, 'base64') : v;
    case 'record':
    case 'error':
      if (!isPlainObject(v)) return v;
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => {
          const field = t.fields?.find((f) => f.name === k);
          return [k, field ? fromJson(field.type, x) : x];
        }),
      );
    case 'array':
      return Array.isArray(v) ? v.map((x) => fromJson(t.itemsType!, x)) : v;
    case 'map':
      return isPlainObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(t.valuesType!, x)])) : v;
    default:
      for (const branch of t.types ?? []) {
        const converted = fromJson(branch, v);
        if (branch.isValid(converted)) return converted;
      }
      return v;
  }
}

/** Paths of fields the value has and its record types do not declare. */
function undeclaredFields(type: AvroType, value: unknown): string[] {
  if (type.isValid(value, { noUndeclaredFields: true })) return [];
  const found: string[] = [];
  type.isValid(value, {
    noUndeclaredFields: true,
    errorHook: (path: string[], any: unknown, t: AvroType) => {
      const rec = t as unknown as AvroTypeShape;
      if ((rec.typeName !== 'record' && rec.typeName !== 'error') || !isPlainObject(any)) return;
      const declared = new Set(rec.fields?.map((f) => f.name));
      for (const k of Object.keys(any)) if (!declared.has(k)) found.push([...path, k].join('.'));
    },
  });
  return found;
}

/**
 * Every line of every source as a record, in order; blank lines are skipped. Throws InputError at
 * the first line that is not a record, so that a caller sends nothing of an input with a bad line.
 */
export async function encodeLines(
  encoder: LineEncoder,
  sources: Array<{ name?: string; lines: AsyncIterable<string> | Iterable<string> }>,
): Promise<OutboundRecord[]> {
  const out: OutboundRecord[] = [];
  for (const source of sources) {
    let n = 0;
    for await (const raw of source.lines) {
      n++;
      const line = raw.trim();
      if (line === '') continue;
      try {
        out.push(encoder.encode(line));
      } catch (err) {
        throw new InputError(source.name, n, (err as Error).message);
      }
    }
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}
