// Records as JSON lines, for `weir produce` and `weir consume`. Producing: each line becomes a record
// encoded with the topic's key and value formats (Avro with the schema as registered), and the
// whole input is checked before anything is sent. Consuming: records become plain JSON (bigints as
// strings, bytes as base64, decimals as exact strings); bytes that do not decode are shown as base64
// with the reason, never a crash. No Kafka client here: see topic-transfer.ts for that part.
import { relative, resolve } from 'node:path';
import type { Header, InboundRecord, OutboundRecord } from '../kafka/types.ts';
import type { AvroType } from '../schema/avro.ts';
import { codecFor, schemaFile, type Codec } from '../schema/codecs.ts';
import { DeserializationError } from '../schema/errors.ts';
import { schemaIdOf, type AvroSerde } from '../schema/serde.ts';
import type { FormatRef } from '../topology/language.ts';
import { subjectName } from '../topology/naming.ts';
import { findTopic, type Plan } from '../topology/plan.ts';

// ---------------------------------------------------------------------------------------------
// Formats

/** A topic's key and value formats; Avro schema paths are relative to `root`. */
export interface TopicFormats {
  topic: string;
  key: FormatRef;
  value: FormatRef;
  root: string;
}

export class FormatError extends Error {
  override name = 'FormatError';
}

/** `string`, `json`, `bytes` or `avro:<schema.avsc>` (the path relative to `cwd`), as a format under `root`. */
export function parseFormat(text: string, root: string, cwd = process.cwd()): FormatRef {
  if (text === 'string' || text === 'json' || text === 'bytes') return { format: text };
  const avro = /^avro:(.+)$/.exec(text);
  if (avro) return { format: 'avro', schema: relative(root, resolve(cwd, avro[1]!)) };
  throw new FormatError(`expected string, json, bytes or avro:<schema.avsc>; got ${JSON.stringify(text)}`);
}

/**
 * The formats to write `topic` with: given ones win, else the topology's; the key is a string
 * unless said otherwise. Undefined when the topic is not in the plan and no value format is given.
 */
export function produceFormats(
  plan: Plan | undefined,
  root: string,
  topic: string,
  given: { key?: string | undefined; value?: string | undefined },
): TopicFormats | undefined {
  const planned = plan ? findTopic(plan, topic) : undefined;
  if (!planned && given.value === undefined) return undefined;
  return {
    topic,
    root,
    key: given.key !== undefined ? parseFormat(given.key, root) : (planned?.key ?? { format: 'string' }),
    value: given.value !== undefined ? parseFormat(given.value, root) : planned!.value,
  };
}

/**
 * How consumed bytes are read. Avro is always decoded with the schema it was written with (the id
 * in the record). `auto`: Avro when the bytes carry a schema id the registry knows, else JSON when
 * they parse, else text when they are printable UTF-8, else base64.
 */
export type DecodeFormat = 'string' | 'json' | 'bytes' | 'avro' | 'auto';

export function parseDecodeFormat(text: string): DecodeFormat {
  if (text === 'string' || text === 'json' || text === 'bytes' || text === 'avro' || text === 'auto') return text;
  if (/^avro:.+/.test(text)) return 'avro';
  throw new FormatError(`expected string, json, bytes, avro or auto; got ${JSON.stringify(text)}`);
}

/** Given formats win, else the topology's; a topic the topology does not know is read with `auto`. */
export function consumeFormats(
  plan: Plan | undefined,
  topic: string,
  given: { key?: string | undefined; value?: string | undefined },
): { key: DecodeFormat; value: DecodeFormat } {
  const planned = plan ? findTopic(plan, topic) : undefined;
  const pick = (text: string | undefined, ref: FormatRef | undefined) =>
    text !== undefined ? parseDecodeFormat(text) : (ref?.format ?? 'auto');
  return { key: pick(given.key, planned?.key), value: pick(given.value, planned?.value) };
}

// ---------------------------------------------------------------------------------------------
// Producing: JSON lines to records

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

// ---------------------------------------------------------------------------------------------
// Consuming: records to JSON

/** Values as plain JSON: bigints as strings, bytes as base64 (decimals already are exact strings). */
export function toPlainJson(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(toPlainJson);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toPlainJson(x)]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlainJson(x)]));
  return v;
}

type Decoded = { value: unknown } | { raw: Buffer; error?: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export interface ConsumedJson {
  topic?: string;
  partition?: number;
  offset?: number;
  timestamp?: number;
  key?: unknown;
  keyBase64?: string;
  value?: unknown;
  valueBase64?: string;
  headers?: Record<string, string>;
  error?: string;
}

export class RecordDecoder {
  constructor(
    private readonly formats: { key: DecodeFormat; value: DecodeFormat },
    /** Needed for `avro`; for `auto`, without one nothing is taken for Avro. */
    private readonly serde: AvroSerde | undefined,
  ) {
    if (!serde && (formats.key === 'avro' || formats.value === 'avro')) throw new Error('Avro needs a schema registry');
  }

  /** Loads the writer schemas of a batch; call before toJson. A registry outage throws. */
  async prepare(records: readonly InboundRecord[]): Promise<void> {
    if (!this.serde) return;
    const bytes: Array<Buffer | null> = [];
    const add = (format: DecodeFormat, b: Buffer | null) => {
      if (format === 'avro' || (format === 'auto' && schemaIdOf(b) !== undefined)) bytes.push(b);
    };
    for (const r of records) {
      add(this.formats.key, r.key);
      add(this.formats.value, r.value);
    }
    if (bytes.length > 0) await this.serde.prepare(bytes);
  }

  /** The record as JSON: `{key, value}`, with `metadata` also topic, partition, offset, timestamp and headers. */
  toJson(r: InboundRecord, metadata = false): ConsumedJson {
    const out: ConsumedJson = metadata ? { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp } : {};
    const errors: string[] = [];
    for (const which of ['key', 'value'] as const) {
      const d = this.decode(this.formats[which], r[which]);
      if ('value' in d) out[which] = d.value;
      else {
        out[`${which}Base64`] = d.raw.toString('base64');
        if (d.error !== undefined) errors.push(`${which}: ${d.error}`);
      }
    }
    if (metadata) {
      const headers: Record<string, string> = {};
      for (const h of r.headers) headers[h.key] = h.value.toString('utf8');
      out.headers = headers;
    }
    if (errors.length > 0) out.error = errors.join('; ');
    return out;
  }

  private decode(format: DecodeFormat, b: Buffer | null): Decoded {
    if (b === null) return { value: null };
    switch (format) {
      case 'string':
        return { value: b.toString('utf8') };
      case 'bytes':
        return { value: b.toString('base64') };
      case 'json':
        try {
          return { value: JSON.parse(b.toString('utf8')) };
        } catch (err) {
          return { raw: b, error: `not JSON: ${(err as Error).message}` };
        }
      case 'avro':
        try {
          return { value: toPlainJson(this.serde!.decode(b)) };
        } catch (err) {
          if (err instanceof DeserializationError) return { raw: b, error: err.message };
          throw err;
        }
      case 'auto':
        return this.guess(b);
    }
  }

  private guess(b: Buffer): Decoded {
    if (this.serde && schemaIdOf(b) !== undefined) {
      try {
        return { value: toPlainJson(this.serde.decode(b)) };
      } catch (err) {
        if (!(err instanceof DeserializationError)) throw err;
      }
    }
    let text: string;
    try {
      text = utf8.decode(b);
    } catch {
      return { raw: b };
    }
    if (CONTROL.test(text)) return { raw: b };
    try {
      return { value: JSON.parse(text) };
    } catch {
      return { value: text };
    }
  }
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
