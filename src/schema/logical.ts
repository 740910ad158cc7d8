// Logical types weir maps to JavaScript: `decimal` as an exact string ("1234.50"), so money never
// passes through a float. Timestamps stay numbers (epoch millis / micros), dates stay day numbers.
import avro from 'avsc';

interface DecimalSchema {
  precision: number;
  scale?: number;
}

/** Two's complement big-endian bytes ↔ bigint. */
function bytesToBigInt(buf: Buffer): bigint {
  if (buf.length === 0) return 0n;
  let n = 0n;
  for (const b of buf) n = (n << 8n) | BigInt(b);
  return buf[0]! & 0x80 ? n - (1n << BigInt(buf.length * 8)) : n;
}

function bigIntToBytes(n: bigint): Buffer {
  const bytes: number[] = [];
  let v = n;
  for (;;) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
    const sign = bytes[0]! & 0x80;
    if ((v === 0n && !sign) || (v === -1n && sign)) break;
  }
  return Buffer.from(bytes);
}

export class DecimalType extends avro.types.LogicalType {
  readonly precision: number;
  readonly scale: number;

  constructor(schema: avro.Schema, opts?: avro.ForSchemaOptions) {
    super(schema, opts);
    const s = schema as unknown as DecimalSchema;
    this.precision = s.precision;
    this.scale = s.scale ?? 0;
  }

  override _fromValue(val: Buffer): string {
    const n = bytesToBigInt(val);
    if (this.scale === 0) return n.toString();
    const neg = n < 0n;
    const digits = (neg ? -n : n).toString().padStart(this.scale + 1, '0');
    return `${neg ? '-' : ''}${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}`;
  }

  /** Accepts "12.5", 12.5 or 12n; undefined (invalid) when it needs more scale or precision. */
  override _toValue(any: unknown): Buffer | undefined {
    const text =
      typeof any === 'bigint'
        ? any.toString()
        : typeof any === 'number' && Number.isFinite(any)
          ? String(any)
          : typeof any === 'string'
            ? any.trim()
            : undefined;
    const m = text === undefined ? null : /^(-)?(\d+)(?:\.(\d+))?$/.exec(text);
    if (!m) return undefined;
    const fraction = (m[3] ?? '').replace(/0+$/, '');
    if (fraction.length > this.scale) return undefined;
    const unscaled = BigInt(`${m[2]}${fraction.padEnd(this.scale, '0')}`) * (m[1] ? -1n : 1n);
    if ((unscaled < 0n ? -unscaled : unscaled).toString().length > this.precision) return undefined;
    return bigIntToBytes(unscaled);
  }

  override _resolve(type: avro.Type): ((x: unknown) => unknown) | undefined {
    if (type instanceof DecimalType && type.scale === this.scale) return (x) => x;
    return undefined;
  }

  override _export(schema: avro.Schema): void {
    Object.assign(schema as object, { precision: this.precision, scale: this.scale });
  }
}

export const LOGICAL_TYPES = { decimal: DecimalType } as unknown as Record<
  string,
  new (schema: avro.Schema, opts?: avro.ForSchemaOptions) => avro.types.LogicalType
>;

/** What a type's values mean beyond how they are stored: `timestamp-millis`, `decimal` (10, 2)… */
export interface LogicalTypeInfo {
  name: string;
  precision?: number;
  scale?: number;
}

// avsc parses a logical type it does not map (timestamps, dates, times, uuid) as its underlying type
// and forgets the annotation. Compatibility checks need it — millis → micros changes every value —
// so the parse remembers it per type instance, without changing how values are encoded.
const unmappedLogicalTypes = new WeakMap<avro.Type, string>();

/** avsc `typeHook`: parses a schema with an unmapped logical type as its underlying type, remembering the name. */
export function rememberUnmappedLogicalType(schema: avro.Schema, opts: avro.ForSchemaOptions): avro.Type | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const { logicalType, ...underlying } = schema as { logicalType?: unknown };
  if (typeof logicalType !== 'string' || Object.hasOwn(LOGICAL_TYPES, logicalType)) return undefined;
  const type = avro.Type.forSchema(underlying as avro.Schema, opts);
  unmappedLogicalTypes.set(type, logicalType);
  return type;
}

/** The logical type of a type parsed with weir's options (see avro.ts); undefined for a plain type. */
export function logicalTypeOf(type: avro.Type): LogicalTypeInfo | undefined {
  if (type instanceof DecimalType) return { name: 'decimal', precision: type.precision, scale: type.scale };
  const name = unmappedLogicalTypes.get(type);
  return name === undefined ? undefined : { name };
}

/** How the values are stored: the underlying type of a mapped logical type, the type itself otherwise. */
export function physicalTypeOf(type: avro.Type): avro.Type {
  return type instanceof avro.types.LogicalType ? type.underlyingType : type;
}

export function describeLogicalType(info: LogicalTypeInfo): string {
  return info.name === 'decimal' ? `decimal(${info.precision},${info.scale})` : info.name;
}

export function sameLogicalType(a: LogicalTypeInfo | undefined, b: LogicalTypeInfo | undefined): boolean {
  return a?.name === b?.name && a?.precision === b?.precision && a?.scale === b?.scale;
}
