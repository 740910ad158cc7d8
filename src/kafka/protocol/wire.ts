// Just enough of the Kafka wire protocol for the admin calls the client library does not expose
// (DescribeConfigs, IncrementalAlterConfigs): classic (non-flexible) request/response encoding.
export class Writer {
  private chunks: Buffer[] = [];

  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.chunks.push(b);
    return this;
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.chunks.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.chunks.push(b);
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const b = Buffer.from(v, 'utf8');
    this.int16(b.length);
    this.chunks.push(b);
    return this;
  }
  bytes(v: Buffer): this {
    this.int32(v.length);
    this.chunks.push(v);
    return this;
  }
  array<T>(items: T[] | null, each: (w: Writer, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const i of items) each(this, i);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  int8(): number {
    return this.buf.readInt8(this.at++);
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  string(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const v = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return v;
  }
  bytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  array<T>(each: (r: Reader) => T): T[] {
    const n = this.int32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }
}

/** A request frame: size, then header v1 (api key, version, correlation id, client id), then body. */
export function frame(apiKey: number, apiVersion: number, correlationId: number, clientId: string, body: Buffer): Buffer {
  const header = new Writer().int16(apiKey).int16(apiVersion).int32(correlationId).string(clientId).build();
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length);
  return Buffer.concat([size, header, body]);
}
