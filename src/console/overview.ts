// What the console's overview shows, gathered on request: per step and input partition the
// committed offset, last stable offset, lag and member (admin/lag.ts, as `weir lag`), throughput
// from the committed offsets' movement since the last look, retry tiers and DLQ depth; and, from
// the workers' endpoints when given, transactions committed/aborted and stalled partitions.
import { stepLag, type StepLag } from '../admin/lag.ts';
import type { KafkaConnection } from '../kafka/client-config.ts';
import type { Plan } from '../topology/plan.ts';
import { scrapeWorkers, type WorkerFigures } from './workers.ts';

export interface StepView extends StepLag {
  kind: string;
  /** Records per second committed since the previous look (null on the first). */
  throughput: number | null;
  figures: WorkerFigures;
}

type Snapshot = { steps: StepView[]; workers: { answered: number; asked: number } };

const LOOK_EVERY_MS = 1_500;

export class Overview {
  private previous = new Map<string, { at: number; committed: number }>();
  private looking: Promise<Snapshot> | undefined;
  private last: { at: number; snapshot: Snapshot } | undefined;

  constructor(
    private readonly plan: Plan,
    private readonly kafka: KafkaConnection,
    private readonly databaseUrl: string | undefined,
    /** Base URLs of the workers' /metrics and /readyz (e.g. http://127.0.0.1:9464). */
    private readonly workers: string[],
  ) {}

  /**
   * The current picture: one look at a time however many pages ask, and a look younger than
   * LOOK_EVERY_MS is shared (each look opens admin clients and reads the tiers).
   */
  steps(): Promise<Snapshot> {
    if (this.looking) return this.looking;
    if (this.last && Date.now() - this.last.at < LOOK_EVERY_MS) return Promise.resolve(this.last.snapshot);
    this.looking = this.look().then(
      (snapshot) => {
        this.last = { at: Date.now(), snapshot };
        this.looking = undefined;
        return snapshot;
      },
      (err: unknown) => {
        this.looking = undefined;
        throw err;
      },
    );
    return this.looking;
  }

  private async look(): Promise<Snapshot> {
    const now = Date.now();
    const [lags, figures] = await Promise.all([
      Promise.all(this.plan.steps.map((s) => stepLag(s, this.kafka, this.databaseUrl, now))),
      scrapeWorkers(this.workers),
    ]);
    const steps = lags.map((lag, i) => {
      const step = this.plan.steps[i]!;
      const committed = lag.input.reduce((sum, p) => sum + (p.committed ?? p.earliest), 0);
      const before = this.previous.get(step.name);
      this.previous.set(step.name, { at: now, committed });
      const throughput = before && now > before.at ? Math.max(0, (committed - before.committed) / ((now - before.at) / 1000)) : null;
      return { ...lag, kind: step.kind, throughput, figures: figures.forStep(step.name) };
    });
    return { steps, workers: { answered: figures.answered, asked: figures.asked } };
  }
}
