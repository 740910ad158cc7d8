// Bytes in, bytes out for one step: decoding the input (key, and value into the step's reader
// schema), and encoding outputs with their topic's codecs, key rule, event id and trace context.
import { NO_HEADERS, type InboundRecord, type OutboundHeader, type OutboundRecord } from '../kafka/types.ts';
import { codecFor, type Codec } from '../schema/codecs.ts';
import { DeserializationError } from '../schema/errors.ts';
import type { AvroSerde } from '../schema/serde.ts';
import { subjectName } from '../topology/naming.ts';
import type { Plan, PlannedStep } from '../topology/plan.ts';
import { findTopic } from '../topology/plan.ts';
import { originalHeaders, readEnvelope, type Envelope } from '../retry/envelope.ts';
import type { OutputRecord } from './api.ts';
import { eventId, HEADER } from './headers.ts';
import type { Isolation } from './isolation.ts';
import { boundedCopy } from './size-limits.ts';

/** One input record on its way through the step. */
export interface Work {
  raw: InboundRecord;
  envelope: Envelope;
  key: unknown;
  value: unknown;
  /** Set when the bytes cannot be decoded, or Kafka refused the record's outputs: it goes to the DLQ. */
  poison: Error | undefined;
}

interface TopicCodecs {
  key: Codec;
  value: Codec;
}

export class StepIO {
  private constructor(
    private readonly step: PlannedStep,
    private readonly serde: AvroSerde,
    private readonly input: TopicCodecs,
    private readonly outputs: Map<string, TopicCodecs>,
    private readonly isolation: Isolation | undefined,
  ) {
    this.passTombstones = step.postgres !== null && step.postgres !== undefined && step.postgres.onTombstone !== 'dlq';
  }

  /** A Postgres sink that deletes or ignores tombstones gets them as they are (value null), not as undecodable. */
  private readonly passTombstones: boolean;

  static async create(plan: Plan, step: PlannedStep, root: string, serde: AvroSerde, isolation?: Isolation): Promise<StepIO> {
    const topic = (name: string) => {
      const t = findTopic(plan, name);
      if (!t) throw new Error(`topic ${name} is not in the plan`);
      return t;
    };
    const inTopic = topic(step.input);
    const input = {
      key: await codecFor(inTopic.key, { serde, root, subject: subjectName(inTopic.name, 'key'), forEncoding: false }),
      value: await codecFor(inTopic.value, {
        serde,
        root,
        subject: subjectName(inTopic.name, 'value'),
        readerSchema: step.readerSchema,
        forEncoding: false,
      }),
    };
    const outputs = new Map<string, TopicCodecs>();
    for (const name of step.outputs) {
      const t = topic(name);
      outputs.set(name, {
        key: await codecFor(t.key, { serde, root, subject: subjectName(name, 'key'), forEncoding: true }),
        value: await codecFor(t.value, { serde, root, subject: subjectName(name, 'value'), forEncoding: true }),
      });
    }
    return new StepIO(step, serde, input, outputs, isolation);
  }

  /** Decodes a batch; undecodable records come back as poison rather than throwing. */
  async decode(records: InboundRecord[]): Promise<Work[]> {
    const { key: keyCodec, value: valueCodec } = this.input;
    const avroValues = valueCodec.format === 'avro';
    const avroKeys = keyCodec.format === 'avro';
    if (avroValues || avroKeys) {
      const avro: Array<Buffer | null> = [];
      for (const r of records) {
        if (avroValues) avro.push(r.value);
        if (avroKeys) avro.push(r.key);
      }
      await this.serde.prepare(avro); // a registry outage throws here: retry, not poison
    }
    const work = new Array<Work>(records.length);
    for (let i = 0; i < records.length; i++) {
      const raw = records[i]!;
      const w: Work = { raw, envelope: readEnvelope(raw), key: undefined, value: undefined, poison: undefined };
      try {
        w.key = keyCodec.decode(raw.key);
        w.value = raw.value === null && this.passTombstones ? null : valueCodec.decode(raw.value);
      } catch (err) {
        if (!(err instanceof DeserializationError)) throw err;
        w.poison = err;
      }
      work[i] = w;
    }
    if (this.isolation?.refusing) for (const w of work) this.refusal(w);
    return work;
  }

  /** A record whose outputs Kafka refused on their own goes to the DLQ; cut down when its full copy was refused too. */
  private refusal(w: Work): void {
    const refusal = this.isolation!.refusal(w.raw);
    if (!refusal) return;
    w.poison = refusal.error;
    if (refusal.cut) w.raw = boundedCopy(w.raw);
  }

  /** Output records of one input, in the order the transform returned them. */
  encode(work: Work, outputs: OutputRecord[], traceparent: string | undefined): OutboundRecord[] {
    const raw = work.raw.headers;
    // The input's own headers go on; weir's (retry envelope, event id, trace) are replaced.
    const passOn =
      raw.length === 0 ? NO_HEADERS : originalHeaders(raw).filter((h) => h.key !== HEADER.eventId && h.key !== HEADER.traceparent);
    const { origin } = work.envelope;
    const out = new Array<OutboundRecord>(outputs.length);
    for (let index = 0; index < outputs.length; index++) {
      const o = outputs[index]!;
      const topic = o.topic ?? this.step.outputs[0]!;
      const codecs = this.outputs.get(topic)!;
      const headers: OutboundHeader[] = passOn.length === 0 ? [] : passOn.slice();
      if (o.headers !== undefined) for (const k in o.headers) headers.push({ key: k, value: String(o.headers[k]) });
      headers.push({ key: HEADER.eventId, value: eventId(this.step.name, origin, index) });
      if (traceparent !== undefined) headers.push({ key: HEADER.traceparent, value: traceparent });
      out[index] = { topic, key: this.outputKey(work, o, codecs.key), value: codecs.value.encode(o.value), headers };
    }
    return out;
  }

  private outputKey(work: Work, o: OutputRecord, codec: Codec): Buffer | null {
    if (o.key !== undefined) return codec.encode(o.key);
    const rule = this.step.key;
    if (rule === 'keep') return work.raw.key;
    let v: unknown = o.value;
    for (const part of rule.field.split('.')) v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[part];
    return codec.encode(v ?? null);
  }
}
