// Bytes in, bytes out for one step: decoding the input (key, and value into the step's reader
// schema), and encoding outputs with their topic's codecs, key rule, event id and trace context.
import type { InboundRecord, OutboundRecord } from '../kafka/types.ts';
import { codecFor, type Codec } from '../schema/codecs.ts';
import { DeserializationError } from '../schema/errors.ts';
import type { AvroSerde } from '../schema/serde.ts';
import { subjectName } from '../topology/naming.ts';
import type { Plan, PlannedStep } from '../topology/plan.ts';
import { findTopic } from '../topology/plan.ts';
import { originalHeaders, readEnvelope, type Envelope } from '../retry/envelope.ts';
import type { OutputRecord } from './api.ts';
import { eventId, HEADER } from './headers.ts';

/** One input record on its way through the step. */
export interface Work {
  raw: InboundRecord;
  envelope: Envelope;
  key?: unknown;
  value?: unknown;
  /** Set when the bytes cannot be decoded: the record goes to the DLQ as it is. */
  poison?: DeserializationError;
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
  ) {}

  static async create(plan: Plan, step: PlannedStep, root: string, serde: AvroSerde): Promise<StepIO> {
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
    return new StepIO(step, serde, input, outputs);
  }

  /** Decodes a batch; undecodable records come back as poison rather than throwing. */
  async decode(records: InboundRecord[]): Promise<Work[]> {
    const avro: Array<Buffer | null> = [];
    if (this.input.value.format === 'avro') avro.push(...records.map((r) => r.value));
    if (this.input.key.format === 'avro') avro.push(...records.map((r) => r.key));
    if (avro.length) await this.serde.prepare(avro); // a registry outage throws here: retry, not poison
    return records.map((raw) => {
      const work: Work = { raw, envelope: readEnvelope(raw) };
      try {
        work.key = this.input.key.decode(raw.key);
        work.value = this.input.value.decode(raw.value);
      } catch (err) {
        if (!(err instanceof DeserializationError)) throw err;
        work.poison = err;
      }
      return work;
    });
  }

  /** Output records of one input, in the order the transform returned them. */
  encode(work: Work, outputs: OutputRecord[], traceparent: string): OutboundRecord[] {
    const passOn = originalHeaders(work.raw.headers).filter((h) => h.key !== HEADER.eventId && h.key !== HEADER.traceparent);
    return outputs.map((o, index) => {
      const topic = o.topic ?? this.step.outputs[0]!;
      const codecs = this.outputs.get(topic)!;
      const headers = [...passOn];
      for (const [k, v] of Object.entries(o.headers ?? {})) headers.push({ key: k, value: Buffer.from(v, 'utf8') });
      headers.push({ key: HEADER.eventId, value: Buffer.from(eventId(this.step.name, work.envelope.origin, index)) });
      headers.push({ key: HEADER.traceparent, value: Buffer.from(traceparent) });
      return { topic, key: this.outputKey(work, o, codecs.key), value: codecs.value.encode(o.value), headers };
    });
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
