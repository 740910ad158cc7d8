// Where a failed record went, for operators: a metric per hop and a log line per retry hop and DLQ
// write — at most LINES_PER_SECOND lines per step, the rest counted and reported with the next line,
// so a burst of failures cannot flood the log. A hop is logged when it is handed to the
// transaction: should that abort, the redo logs it again.
import type { Logger } from '../observability/logger.ts';
import { metrics, stepLabels, type StepLabels } from '../observability/metrics.ts';
import type { Classified } from '../retry/classify.ts';
import type { Envelope } from '../retry/envelope.ts';
import type { Hop } from '../retry/hops.ts';
import type { PlannedStep } from '../topology/plan.ts';
import type { Clock } from './clock.ts';

const LINES_PER_SECOND = 10;

export class HopLog {
  private windowStart = -Infinity;
  private lines = 0;
  private notLogged = 0;
  private readonly labels: StepLabels;

  constructor(
    step: PlannedStep,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {
    this.labels = stepLabels(step);
  }

  hopped(hop: Hop, envelope: Envelope, failure: Classified): void {
    if (hop.target === 'tier') metrics.retryHops.inc({ ...this.labels, tier: String(hop.tier), error_class: failure.errorClass });
    else metrics.dlqRecords.inc({ ...this.labels, error_class: failure.errorClass });
    const now = this.clock.now();
    if (now - this.windowStart >= 1_000) {
      this.windowStart = now;
      this.lines = 0;
    }
    if (this.lines >= LINES_PER_SECOND) {
      this.notLogged++;
      return;
    }
    this.lines++;
    const o = envelope.origin;
    const fields = {
      origin: `${o.topic}/${o.partition}@${o.offset}`,
      attempt: envelope.attempt,
      errorClass: failure.errorClass,
      reason: failure.message,
      to: hop.record.topic,
      ...(this.notLogged ? { hopsNotLogged: this.notLogged } : {}),
    };
    this.notLogged = 0;
    if (hop.target === 'dlq') this.log.warn(fields, 'record dead-lettered');
    else this.log.info({ ...fields, tier: hop.tier! + 1 }, 'record sent to a retry tier');
  }
}
