// A partition is stalled when it has records to process (lag > 0) and its committed offset has not
// moved for the stall time — a record the step can never commit (too large for an output, a batch
// that aborts every time), a sink that refuses everything. A loop that still goes round hides this
// from a liveness check; here it becomes an error log, a metric and a failing /readyz.
import type { Logger } from '../observability/logger.ts';
import { metrics, type StepLabels } from '../observability/metrics.ts';

export interface Stall {
  partition: number;
  /** The offset that has not moved: the last committed, or where the assignment started. */
  offset: number;
  lag: number;
  stalledForMs: number;
  lastError: string | undefined;
}

interface Progress {
  offset: number;
  lag: number;
  since: number;
  stalled: boolean;
}

export class StallWatch {
  private readonly progress = new Map<number, Progress>();

  constructor(
    private readonly labels: StepLabels,
    private readonly topic: string,
    private readonly stallAfterMs: number,
    private readonly log: Logger,
  ) {}

  /**
   * One input partition at `now`: its end (last stable offset), the consumer's position and the
   * offset last committed in this assignment (undefined: none yet — then where it started counts).
   */
  observe(partition: number, end: number, position: number, committed: number | undefined, now: number, lastError?: string): void {
    let p = this.progress.get(partition);
    const offset = committed ?? p?.offset ?? position;
    if (offset < 0) return; // no position yet: nothing fetched
    const lag = Math.max(0, end - offset);
    if (!p || p.offset !== offset || lag === 0) {
      if (p?.stalled) this.log.info({ partition, offset }, 'partition moves again');
      p = { offset, lag, since: now, stalled: false };
      this.progress.set(partition, p);
    }
    p.lag = lag;
    const stalled = lag > 0 && now - p.since >= this.stallAfterMs;
    metrics.stalledPartitions.set({ ...this.labels, topic: this.topic, partition: String(partition) }, stalled ? 1 : 0);
    if (!stalled || p.stalled) return;
    p.stalled = true;
    this.log.error(
      { partition, offset, lag, stalledForMs: now - p.since, lastError },
      'partition stalled: it has records to process and its committed offset has not moved',
    );
  }

  /** Forgets partitions no longer held. */
  keepOnly(held: number[]): void {
    for (const partition of this.progress.keys()) {
      if (held.includes(partition)) continue;
      this.progress.delete(partition);
      metrics.stalledPartitions.set({ ...this.labels, topic: this.topic, partition: String(partition) }, 0);
    }
  }

  stalls(now: number, lastError: string | undefined): Stall[] {
    return [...this.progress.entries()]
      .filter(([, p]) => p.stalled)
      .map(([partition, p]) => ({ partition, offset: p.offset, lag: p.lag, stalledForMs: now - p.since, lastError }));
  }
}
