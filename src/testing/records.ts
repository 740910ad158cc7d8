// Records as a test sees them: values as objects (encoded with the topic's formats on the way in,
// decoded on the way out), headers as a string map, and the retry/DLQ envelope read by the same
// code the workers use.
import type { InboundRecord, OutboundRecord } from '../kafka/types.ts';
import { readEnvelope } from '../retry/envelope.ts';
import { codecFor, type Codec } from '../schema/codecs.ts';
import type { AvroSerde } from '../schema/serde.ts';
import { findTopic, type Plan, type PlannedStep } from '../topology/plan.ts';
import { headerMap } from '../runtime/headers.ts';

export interface TestRecord {
  key?: unknown;
  value: unknown;
  headers?: Record<string, string>;
  /** Epoch ms; default: the virtual clock's now. */
  timestamp?: number;
}

export interface DecodedRecord {
  topic: string;
  partition: number;
  offset: number;
  key: unknown;
  value: unknown;
  headers: Record<string, string>;
  timestamp: number;
}

export interface DlqEntry extends Omit<DecodedRecord, 'value'> {
  /** The decoded value, or undefined when the bytes do not decode (a poison pill). */
  value: unknown;
  raw: { key: Buffer | null; value: Buffer | null };
  errorClass: string | undefined;
  errorMessage: string | undefined;
  /** The attempt that failed last. */
  attempt: number;
  origin: { topic: string; partition: number; offset: number };
}

export interface RetryEntry extends DecodedRecord {
  tier: number;
  due: number | undefined;
  /** The attempt the record will be on when it is processed. */
  attempt: number;
  /** It waits behind its key's head (ordered retries) rather than having failed itself. */
  follows: boolean;
  errorClass: string | undefined;
}

interface Codecs {
  key: Codec;
  value: Codec;
}

export class TopicCodecs {
  private readonly cache = new Map<string, Promise<Codecs>>();

  constructor(
    private readonly plan: Plan,
    private readonly root: string,
    private readonly serde: AvroSerde,
  ) {}

  private codecs(topic: string): Promise<Codecs> {
    let c = this.cache.get(topic);
    if (!c) {
      const t = findTopic(this.plan, topic);
      if (!t) throw new Error(`topic ${topic} is not in the plan; it has: ${this.plan.topics.map((x) => x.name).join(', ')}`);
      const opts = (part: 'key' | 'value') => ({ serde: this.serde, root: this.root, subject: `${topic}-${part}`, forEncoding: true });
      c = Promise.all([codecFor(t.key, opts('key')), codecFor(t.value, opts('value'))]).then(([key, value]) => ({ key, value }));
      this.cache.set(topic, c);
    }
    return c;
  }

  async encode(topic: string, r: TestRecord, now: number): Promise<Omit<OutboundRecord, 'topic'>> {
    const { key, value } = await this.codecs(topic);
    const headers = Object.entries(r.headers ?? {}).map(([k, v]) => ({ key: k, value: Buffer.from(v, 'utf8') }));
    return {
      key: r.key === undefined || r.key === null ? null : key.encode(r.key),
      value: value.encode(r.value),
      headers,
      timestamp: r.timestamp ?? now,
    };
  }

  async decodeAll(topic: string, records: InboundRecord[]): Promise<DecodedRecord[]> {
    const { key, value } = await this.codecs(topic);
    await this.serde.prepare([...records.map((r) => r.value), ...records.map((r) => r.key)]);
    return records.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      key: key.decode(r.key),
      value: value.decode(r.value),
      headers: headerMap(r.headers),
      timestamp: r.timestamp,
    }));
  }

  /** DLQ records keep the input's bytes: decode them with the input topic's formats where they decode. */
  async dlqEntries(input: string, records: InboundRecord[]): Promise<DlqEntry[]> {
    const { key, value } = await this.codecs(input);
    await this.serde.prepare([...records.map((r) => r.value), ...records.map((r) => r.key)]);
    const attempt = (s: string | undefined) => (s === undefined ? 1 : Number(s));
    return records.map((r) => {
      const env = readEnvelope(r);
      const h = headerMap(r.headers);
      return {
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        key: tryDecode(key, r.key),
        value: tryDecode(value, r.value),
        headers: h,
        timestamp: r.timestamp,
        raw: { key: r.key, value: r.value },
        errorClass: env.errorClass,
        errorMessage: env.errorMessage,
        attempt: attempt(h['weir.attempt']),
        origin: { topic: env.origin.topic, partition: env.origin.partition, offset: env.origin.offset },
      };
    });
  }

  async retryEntries(step: PlannedStep, read: (topic: string) => InboundRecord[]): Promise<RetryEntry[]> {
    const out: RetryEntry[] = [];
    for (const [tier, t] of step.retry.tiers.entries()) {
      for (const d of await this.dlqEntries(step.input, read(t.topic))) {
        const env = readEnvelope({
          ...d,
          key: d.raw.key,
          value: d.raw.value,
          headers: Object.entries(d.headers).map(([k, v]) => ({ key: k, value: Buffer.from(v) })),
          size: 0,
        });
        out.push({
          ...d,
          tier,
          due: env.due,
          attempt: env.attempt,
          follows: d.headers['weir.follows'] === '1',
          errorClass: env.errorClass,
        });
      }
    }
    return out;
  }
}

function tryDecode(codec: Codec, bytes: Buffer | null): unknown {
  try {
    return codec.decode(bytes);
  } catch {
    return undefined;
  }
}
