// One batch → the records its transaction produces: each input's outputs, or its hop to a retry tier
// or the DLQ, or (ordered retries) its move behind its key's head; plus the bookkeeping records of
// keys entering or leaving the chain. Nothing here writes to Kafka.
import type { Logger } from '../observability/logger.ts';
import { metrics } from '../observability/metrics.ts';
import { childTrace } from '../observability/trace.ts';
import type { InboundRecord, OutboundRecord } from '../kafka/types.ts';
import { classify } from '../retry/classify.ts';
import { followRecord, hopFor } from '../retry/hops.ts';
import { encodeMembers, type KeyChains, type Staging } from '../retry/ordered.ts';
import { RETRY_HEADERS } from '../retry/envelope.ts';
import type { PlannedStep } from '../topology/plan.ts';
import type { RateLimiter } from '../ratelimit/limiter.ts';
import type { Clock } from './clock.ts';
import { dueOf } from './due.ts';
import { executeBatch } from './execute.ts';
import { headerMap, HEADER, headerText } from './headers.ts';
import type { Processor } from './processors.ts';
import type { StepIO, Work } from './step-io.ts';
import { Watchdog } from './watchdog.ts';

export interface PreparedBatch {
  records: OutboundRecord[];
  staging?: Staging;
  outputs: number;
  /** Phases of the batch (ms), for the debug log of its commit. */
  timings: Record<string, number>;
}

export class BatchProcessor {
  private readonly watchdog = new Watchdog();
  private readonly tierOf: Map<string, number>;

  constructor(
    private readonly step: PlannedStep,
    private readonly io: StepIO,
    private readonly processor: Processor,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly chains?: KeyChains,
    private readonly limiter?: RateLimiter,
  ) {
    this.tierOf = new Map(step.retry.tiers.map((t, i) => [t.topic, i]));
  }

  /** Throws (without side effects) when the batch cannot be decoded now (registry unreachable). */
  async prepare(batch: InboundRecord[], parent?: Staging): Promise<PreparedBatch> {
    const t0 = performance.now();
    const work = await this.io.decode(batch);
    const staging = this.chains?.stage(parent);
    const now = this.clock.now();
    this.observe(batch, now);
    const outcomes = await executeBatch(work, this.step.ordering, this.step.concurrency, (w) => this.handle(w, now, staging));
    const records: OutboundRecord[] = [];
    let outputs = 0;
    for (const o of outcomes) {
      // handle() turns every failure into a hop, so outcomes are ok unless a bug threw there.
      if (!o.ok) throw o.error;
      records.push(...o.value.records);
      outputs += o.value.outputs;
    }
    if (staging) records.push(...this.bookkeeping(staging));
    const processMs = performance.now() - t0;
    metrics.processSeconds.observe({ step: this.step.name }, processMs / 1000);
    metrics.batchRecords.observe({ step: this.step.name }, batch.length);
    return { records, outputs, timings: { processMs }, ...(staging ? { staging } : {}) };
  }

  private observe(batch: InboundRecord[], now: number): void {
    const step = this.step.name;
    for (const r of batch) {
      const tier = this.tierOf.get(r.topic);
      if (tier === undefined) continue;
      const due = dueOf(r);
      // A follower waits for its key's head, not for a clock: its lateness would measure the head.
      if (due === undefined || headerText(r.headers, RETRY_HEADERS.follows) === '1') continue;
      if (now < due) metrics.retryEarly.inc({ step, tier: String(tier) });
      else metrics.retryLateness.observe({ step, tier: String(tier) }, (now - due) / 1000);
    }
    const fromTiers = batch.filter((r) => this.tierOf.has(r.topic)).length;
    metrics.recordsIn.inc({ step, source: 'input' }, batch.length - fromTiers);
    if (fromTiers) metrics.recordsIn.inc({ step, source: 'retry' }, fromTiers);
  }

  private async handle(w: Work, now: number, staging: Staging | undefined): Promise<{ records: OutboundRecord[]; outputs: number }> {
    const key = staging && w.raw.key ? w.raw.key.toString('base64') : undefined;
    const p = w.raw.partition;
    const origin = w.envelope.origin.offset;
    if (staging && key !== undefined) {
      const decision = staging.decide(p, key, origin, this.tierOf.get(w.raw.topic) ?? -1);
      if (decision.kind === 'follow') return { records: [followRecord(this.step, w.raw, w.envelope, decision.tier, now)], outputs: 0 };
    }
    try {
      if (this.limiter && !w.poison) await this.limiter.acquire();
      const out = await this.processOne(w);
      if (staging && key !== undefined) staging.left(p, key, origin);
      return { records: out, outputs: out.length };
    } catch (err) {
      const failure = classify(w.poison ?? err, this.step.retry);
      // Due counts from the moment of failure, so a retry is never earlier than its delay.
      const hop = hopFor(this.step, w.raw, w.envelope, failure, this.clock.now());
      if (hop.target === 'tier') metrics.retryHops.inc({ step: this.step.name, tier: String(hop.tier), error_class: failure.errorClass });
      else metrics.dlqRecords.inc({ step: this.step.name, error_class: failure.errorClass });
      if (staging && key !== undefined) {
        if (hop.target === 'tier') staging.entered(p, key, origin, hop.tier!);
        else staging.left(p, key, origin);
      }
      return { records: [hop.record], outputs: 0 };
    }
  }

  private processOne(w: Work): Promise<OutboundRecord[]> | OutboundRecord[] {
    if (w.poison) throw w.poison;
    const step = this.step;
    const trace = childTrace(headerText(w.raw.headers, HEADER.traceparent));
    const record = {
      key: w.key,
      value: w.value,
      headers: headerMap(w.raw.headers),
      topic: w.envelope.origin.topic,
      partition: w.envelope.origin.partition,
      offset: w.envelope.origin.offset,
      timestamp: w.envelope.origin.timestamp,
    };
    const log = this.log;
    const outputs = this.watchdog.guard(
      step.timeoutMs,
      `step ${step.name} on ${w.raw.topic}/${w.raw.partition}@${w.raw.offset}`,
      (signal) =>
        this.processor(record, {
          // Made on first use: most transforms never log per record.
          get log() {
            return log.child({ partition: w.raw.partition, offset: w.raw.offset });
          },
          get signal() {
            return signal();
          },
          step: step.name,
          attempt: w.envelope.attempt,
          trace,
        }),
    );
    return outputs instanceof Promise
      ? outputs.then((o) => this.io.encode(w, o, trace.traceparent))
      : this.io.encode(w, outputs, trace.traceparent);
  }

  /** Records of the keys topic for every key whose chain this batch changed. */
  private bookkeeping(staging: Staging): OutboundRecord[] {
    const topic = this.step.retry.keysTopic!;
    const out: OutboundRecord[] = [];
    for (const [partition, keys] of staging.changes) {
      for (const [key, members] of keys) out.push({ topic, partition, key: Buffer.from(key, 'base64'), value: encodeMembers(members) });
    }
    return out;
  }
}
