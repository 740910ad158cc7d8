// The console's actions on a DLQ: a dry run first (exactly the records that would move, and
// where), then — with the console's token — the same action for real, in the background with its
// progress, ending with its entry in the audit topic. The actions themselves are admin/'s: they
// claim the step (exclusive against the CLI and other consoles) and audit in their transaction.
import { timingSafeEqual } from 'node:crypto';
import { purge, redrive, targetTopic, type ActionResult, type RedriveTarget } from '../admin/dlq/actions.ts';
import { pending, readDlq, type DlqEntry, type DlqFilter } from '../admin/dlq/entries.ts';
import type { KafkaConnection } from '../kafka/client-config.ts';
import { readToEnd } from '../kafka/reader.ts';
import type { PlannedStep } from '../topology/plan.ts';
import { AUDIT_TOPIC } from '../topology/naming.ts';

export type ActionKind = 'redrive' | 'purge';

export interface ActionRequest {
  kind: ActionKind;
  step: PlannedStep;
  filter: DlqFilter;
  target: RedriveTarget;
}

export interface Preview {
  request: ActionRequest;
  records: DlqEntry[];
  /** Where redriven records go; none for a purge. */
  topic: string | undefined;
  result: ActionResult;
}

export interface Job {
  id: string;
  request: ActionRequest;
  done: number;
  total: number;
  state: 'running' | 'finished' | 'failed';
  result?: ActionResult;
  error?: string;
  /** The audit entry the action wrote, once finished. */
  audit?: unknown;
}

export class Actions {
  private readonly jobs = new Map<string, Job>();
  private next = 1;

  constructor(
    private readonly kafka: KafkaConnection,
    /** The token that confirms an action; undefined: actions are off. */
    private readonly token: string | undefined,
  ) {}

  get enabled(): boolean {
    return this.token !== undefined;
  }

  /** Constant-time comparison: the token is a secret. */
  accepts(given: string | undefined): boolean {
    if (this.token === undefined || given === undefined) return false;
    const a = Buffer.from(this.token);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** What the action would do: a dry run of it, and the records it selects. */
  async preview(request: ActionRequest): Promise<Preview> {
    const entries = pending(await readDlq(this.kafka, request.step), request.filter);
    const result = await this.run(request, true);
    const topic = request.kind === 'redrive' ? targetTopic(request.step, request.target) : undefined;
    return { request, records: entries, topic, result };
  }

  /** Starts the action for real (the caller checked the token); its progress is polled with job(). */
  start(request: ActionRequest): Job {
    const job: Job = { id: String(this.next++), request, done: 0, total: 0, state: 'running' };
    this.jobs.set(job.id, job);
    void this.run(request, false, (done, total) => Object.assign(job, { done, total })).then(
      async (result) => {
        job.audit = await this.lastAudit(request).catch(() => undefined);
        Object.assign(job, { result, state: 'finished', done: result.done, total: result.selected });
      },
      (err: unknown) => Object.assign(job, { state: 'failed', error: err instanceof Error ? err.message : String(err) }),
    );
    return job;
  }

  job(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  private run(request: ActionRequest, dryRun: boolean, onProgress?: (done: number, total: number) => void): Promise<ActionResult> {
    const opts = { kafka: this.kafka, step: request.step, filter: request.filter, dryRun, ...(onProgress ? { onProgress } : {}) };
    return request.kind === 'redrive' ? redrive({ ...opts, target: request.target }) : purge(opts);
  }

  /** The newest audit entry of this action on this step. */
  private async lastAudit(request: ActionRequest): Promise<unknown> {
    const key = `dlq-${request.kind}:${request.step.name}`;
    let last: unknown;
    await readToEnd(this.kafka, [AUDIT_TOPIC], {
      onRecord: (r) => {
        if (r.key?.toString() === key && r.value) last = JSON.parse(r.value.toString());
      },
    });
    return last;
  }
}
