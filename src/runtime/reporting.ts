// Lag and retry-tier gauges, from the consumer's local view and an occasional end-offset query,
// off the hot path: at most every 15 s (lag; more often when the stall time is shorter, so that a
// stall shows within it) and 5 s (tiers), between batches.
import { metrics, type StepLabels } from '../observability/metrics.ts';
import type { KafkaClients, StepConsumer } from '../kafka/ports.ts';
import type { Clock } from './clock.ts';
import type { DuePartitions } from './due.ts';
import type { StallWatch } from './stalls.ts';

export class Reporter {
  private lastLag = -Infinity;
  private lastTiers = -Infinity;
  private readonly lagEveryMs: number;

  constructor(
    private readonly labels: StepLabels,
    private readonly input: string,
    private readonly tierTopics: readonly string[],
    private readonly clients: KafkaClients,
    private readonly due: DuePartitions,
    private readonly clock: Clock,
    private readonly stalls: StallWatch,
    /** Input partition → next offset committed in this assignment. */
    private readonly committed: ReadonlyMap<string, number>,
    private readonly lastError: () => string | undefined,
    stallAfterMs: number,
  ) {
    this.lagEveryMs = Math.min(15_000, Math.max(250, stallAfterMs / 4));
  }

  report(consumer: StepConsumer): void {
    const now = this.clock.now();
    if (now - this.lastLag >= this.lagEveryMs) {
      this.lastLag = now;
      this.reportLag(consumer);
    }
    if (now - this.lastTiers >= 5_000) {
      this.lastTiers = now;
      this.reportTiers(consumer, now);
    }
  }

  /** Consumer lag per input partition (last stable offset − position), and whether it is stalled. */
  private reportLag(consumer: StepConsumer): void {
    const input = consumer.assignment().filter((tp) => tp.topic === this.input);
    this.stalls.keepOnly(input.map((tp) => tp.partition));
    if (input.length === 0) return;
    const positions = consumer.positions(input);
    void this.clients.endOffsets(input).then(
      (ends) => {
        const now = this.clock.now();
        for (const e of ends) {
          const pos = positions.find((p) => p.partition === e.partition)?.offset ?? -1;
          if (pos >= 0)
            metrics.consumerLag.set({ ...this.labels, topic: e.topic, partition: String(e.partition) }, Math.max(0, e.offset - pos));
          this.stalls.observe(e.partition, e.offset, pos, this.committed.get(`${e.partition}`), now, this.lastError());
        }
      },
      () => undefined,
    );
  }

  /** Retry-tier depth and the age of the oldest waiting record. */
  private reportTiers(consumer: StepConsumer, now: number): void {
    const tiers = consumer.assignment().filter((tp) => this.tierTopics.includes(tp.topic));
    const byTopic = new Map<string, { depth: number; oldest: number | undefined }>();
    for (const p of consumer.positions(tiers)) {
      const t = byTopic.get(p.topic) ?? { depth: 0, oldest: undefined };
      if (p.high >= 0 && p.offset >= 0) t.depth += Math.max(0, p.high - p.offset);
      const since = this.due.waitingSince(p);
      if (since !== undefined) t.oldest = Math.min(t.oldest ?? since, since);
      byTopic.set(p.topic, t);
    }
    for (const [topic, t] of byTopic) {
      metrics.retryTierDepth.set({ ...this.labels, topic }, t.depth);
      metrics.retryTierOldestSeconds.set({ ...this.labels, topic }, t.oldest === undefined ? 0 : (now - t.oldest) / 1000);
    }
  }
}
