// One batch → the records its transaction produces: each input's outputs, or its hop to a retry tier
// or the DLQ, or (ordered retries) its move behind its key's head; plus the bookkeeping records of
// keys entering or leaving the chain. Nothing here writes to Kafka.
import type { Logger } from '../observability/logger.ts';
import { metrics, stepLabels, type StepLabels } from '../observability/metrics.ts';
import { childTraceparent, traceContext } from '../observability/trace.ts';
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
import { HopLog } from './hop-log.ts';
import type { SizeLimits } from './size-limits.ts';
import type { TransformContext, TransformRecord } from './api.ts';
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

/** One batch's results while it runs: each input's records at its index, and how many are outputs. */
interface BatchOutput {
  byInput: OutboundRecord[][];
  outputs: number;
}

const NO_HEADER_MAP: Readonly<Record<string, string>> = Object.freeze({});

/** The transform's context: its logger, signal and trace parts are made only if the transform asks. */
class RecordContext implements TransformContext {
  private controller: AbortController | undefined;
  private childLog: Logger | undefined;
  private parts: TransformContext['trace'] | undefined;

  constructor(
    readonly step: string,
    private readonly work: Work,
    /** This step's span of the record's trace; none when the record has no trace and nobody asked for one. */
    public traceparent: string | undefined,
    private readonly parentLog: Logger,
  ) {}

  get attempt(): number {
    return this.work.envelope.attempt;
  }

  get log(): Logger {
    return (this.childLog ??= this.parentLog.child({ partition: this.work.raw.partition, offset: this.work.raw.offset }));
  }

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  /** A transform that asks for the trace of a record without one starts it: its outputs then carry it. */
  get trace(): TransformContext['trace'] {
    return (this.parts ??= traceContext((this.traceparent ??= childTraceparent(undefined))));
  }

  abort(): void {
    this.controller?.abort();
  }
}

export class BatchProcessor {
  private readonly watchdog = new Watchdog();
  private readonly tierOf: Map<string, number>;
  private readonly hops: HopLog;
  private readonly labels: StepLabels;

  constructor(
    private readonly step: PlannedStep,
    private readonly io: StepIO,
    private readonly processor: Processor,
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly chains?: KeyChains,
    private readonly limiter?: RateLimiter,
    /** What the step's topics accept, when known (read at start). */
    private readonly sizes?: SizeLimits,
  ) {
    this.tierOf = new Map(step.retry.tiers.map((t, i) => [t.topic, i]));
    this.hops = new HopLog(step, log, clock);
    this.labels = stepLabels(step);
  }

  /** Throws (without side effects) when the batch cannot be decoded now (registry unreachable). */
  async prepare(batch: InboundRecord[], parent?: Staging): Promise<PreparedBatch> {
    const t0 = performance.now();
    const work = await this.io.decode(batch);
    const staging = this.chains?.stage(parent);
    const now = this.clock.now();
    this.observe(batch, now);
    // Each input's records at its index, so the batch writes them in input order whatever ran first.
    const out: BatchOutput = { byInput: new Array<OutboundRecord[]>(work.length), outputs: 0 };
    await executeBatch(work, this.step.ordering, this.step.concurrency, (w, i) => this.handle(w, i, now, staging, out));
    const records: OutboundRecord[] = [];
    for (const list of out.byInput) for (let j = 0; j < list.length; j++) records.push(list[j]!);
    if (staging) for (const r of this.bookkeeping(staging)) records.push(r);
    const processMs = performance.now() - t0;
    metrics.processSeconds.observe(this.labels, processMs / 1000);
    metrics.batchRecords.observe(this.labels, batch.length);
    return { records, outputs: out.outputs, timings: { processMs }, ...(staging ? { staging } : {}) };
  }

  private observe(batch: InboundRecord[], now: number): void {
    const labels = this.labels;
    let fromTiers = 0;
    if (this.tierOf.size > 0) {
      for (const r of batch) {
        const tier = this.tierOf.get(r.topic);
        if (tier === undefined) continue;
        fromTiers++;
        const due = dueOf(r);
        // A follower waits for its key's head, not for a clock: its lateness would measure the head.
        if (due === undefined || headerText(r.headers, RETRY_HEADERS.follows) === '1') continue;
        if (now < due) metrics.retryEarly.inc({ ...labels, tier: String(tier) });
        else metrics.retryLateness.observe({ ...labels, tier: String(tier) }, (now - due) / 1000);
      }
    }
    metrics.recordsIn.inc({ ...labels, source: 'input' }, batch.length - fromTiers);
    if (fromTiers) metrics.recordsIn.inc({ ...labels, source: 'retry' }, fromTiers);
  }

  /** One input: processed (its outputs), or hopped to a tier or the DLQ, or following its key's head. */
  private handle(w: Work, i: number, now: number, staging: Staging | undefined, out: BatchOutput): Promise<void> | void {
    const key = staging && w.raw.key ? w.raw.key.toString('base64') : undefined;
    if (staging && key !== undefined) {
      const decision = staging.decide(w.raw.partition, key, w.envelope.origin.offset, this.tierOf.get(w.raw.topic) ?? -1);
      if (decision.kind === 'follow') {
        out.byInput[i] = [followRecord(this.step, w.raw, w.envelope, decision.tier, now)];
        return;
      }
    }
    try {
      if (w.poison) throw w.poison;
      const result = this.limiter ? this.limiter.acquire().then(() => this.processOne(w)) : this.processOne(w);
      if (!(result instanceof Promise)) return this.processed(w, i, result, staging, key, out);
      return result.then(
        (records) => this.processed(w, i, records, staging, key, out),
        (err: unknown) => void (out.byInput[i] = [this.hop(w, err, staging, key)]),
      );
    } catch (err) {
      out.byInput[i] = [this.hop(w, err, staging, key)];
    }
  }

  private processed(
    w: Work,
    i: number,
    records: OutboundRecord[],
    staging: Staging | undefined,
    key: string | undefined,
    out: BatchOutput,
  ): void {
    // An output its topic would refuse would fail every redo of the batch: this input fails instead.
    const tooLarge = this.sizes?.check(records);
    if (tooLarge) {
      out.byInput[i] = [this.hop(w, tooLarge, staging, key)];
      return;
    }
    if (staging && key !== undefined) staging.left(w.raw.partition, key, w.envelope.origin.offset);
    out.byInput[i] = records;
    out.outputs += records.length;
  }

  private hop(w: Work, err: unknown, staging: Staging | undefined, key: string | undefined): OutboundRecord {
    const failure = classify(err, this.step.retry);
    // Due counts from the moment of failure, so a retry is never earlier than its delay.
    const hop = hopFor(this.step, w.raw, w.envelope, failure, this.clock.now());
    this.hops.hopped(hop, w.envelope, failure);
    if (staging && key !== undefined) {
      if (hop.target === 'tier') staging.entered(w.raw.partition, key, w.envelope.origin.offset, hop.tier!);
      else staging.left(w.raw.partition, key, w.envelope.origin.offset);
    }
    return this.sizes ? this.sizes.bound(hop.record) : hop.record;
  }

  /**
   * The transform's outputs, encoded: synchronous when the transform is (no promise, no timer). A
   * record with a valid `traceparent` gets a child span of its trace; one without gets no trace
   * context unless the transform asks for it (ctx.trace): weir records no spans, and a new trace id
   * per record would lead nowhere (OpenTelemetry's propagation without an SDK does the same).
   */
  private processOne(w: Work): Promise<OutboundRecord[]> | OutboundRecord[] {
    const raw = w.raw;
    const incoming = raw.headers.length === 0 ? undefined : headerText(raw.headers, HEADER.traceparent);
    const origin = w.envelope.origin;
    const record: TransformRecord = {
      key: w.key,
      value: w.value,
      headers: raw.headers.length === 0 ? NO_HEADER_MAP : headerMap(raw.headers),
      topic: origin.topic,
      partition: origin.partition,
      offset: origin.offset,
      timestamp: origin.timestamp,
    };
    const ctx = new RecordContext(this.step.name, w, incoming === undefined ? undefined : childTraceparent(incoming), this.log);
    const outputs = this.processor(record, ctx);
    if (!(outputs instanceof Promise)) return this.io.encode(w, outputs, ctx.traceparent);
    const what = () => `step ${this.step.name} on ${raw.topic}/${raw.partition}@${raw.offset}`;
    return this.watchdog.watch(outputs, this.step.timeoutMs, what, () => ctx.abort()).then((o) => this.io.encode(w, o, ctx.traceparent));
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
