// Records → plain JSON for `weir consume` (bigints as strings, bytes as base64, decimals as exact strings);
// bytes that do not decode are shown as base64 with the reason, never a crash.
import type { InboundRecord } from '../../kafka/types.ts';
import { DeserializationError } from '../../schema/errors.ts';
import { schemaIdOf, type AvroSerde } from '../../schema/serde.ts';
import type { DecodeFormat } from './formats.ts';

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
