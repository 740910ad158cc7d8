// Exclusive admin actions. A redrive, purge or replay of a step first claims the step: it initialises
// a transactional producer with the step's admin transactional id, which fences any earlier run
// holding it (its open transaction is aborted, its next send or commit fails), and records who
// claimed it in the audit topic. Everything the action then reads is read after the claim, so it
// sees exactly what the fenced run committed, and everything it writes goes through the claim's
// producer: two runs can never both write. The fenced run stops and names the holder.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KafkaConnection } from '../kafka/client-config.ts';
import { isKafkaError } from '../kafka/errors.ts';
import { KafkaProducer } from '../kafka/producer.ts';
import { readToEnd } from '../kafka/reader.ts';
import type { PlannedStep } from '../topology/plan.ts';
import { auditRecord, operator } from './audit.ts';
import { AUDIT_TOPIC } from '../topology/naming.ts';

/** The admin transactional id of a step: one per step, shared by redrive, purge and replay. */
export const adminTransactionalId = (step: PlannedStep) => `${step.group}.admin`;

export interface ClaimHolder {
  /** Tells this claim from any other, also one of the same operator and process. */
  id: string;
  group: string;
  action: string;
  by: string;
  host: string;
  pid: number;
  at: string;
}

/** The run was fenced: another run claimed the step after it. */
export class ClaimLostError extends Error {
  constructor(
    readonly step: string,
    readonly holder: ClaimHolder | undefined,
  ) {
    const who = holder ? `${holder.action} by ${holder.by}@${holder.host} (pid ${holder.pid}, since ${holder.at})` : 'another run';
    super(`stopped: step ${step} was claimed by ${who}; what this run committed before stays done`);
    this.name = 'ClaimLostError';
  }
}

export class StepClaim {
  private constructor(
    private readonly kafka: KafkaConnection,
    private readonly step: PlannedStep,
    readonly producer: KafkaProducer,
    private readonly id: string,
  ) {}

  /** Claims the step for `action`, fencing any earlier holder. */
  static async acquire(kafka: KafkaConnection, step: PlannedStep, action: string): Promise<StepClaim> {
    const producer = await KafkaProducer.connect(kafka, {
      name: 'admin',
      transactionalId: adminTransactionalId(step),
      transactionTimeoutMs: 60_000,
    });
    const id = randomUUID();
    const claim = new StepClaim(kafka, step, producer, id);
    try {
      await producer.initTransactions(30_000);
      const holder: ClaimHolder = {
        id,
        group: step.group,
        action,
        by: operator(),
        host: hostname(),
        pid: process.pid,
        at: new Date().toISOString(),
      };
      await claim.transaction(async () => {
        await producer.send(auditRecord({ action: 'claim', step: step.name, details: { ...holder } }));
      });
      return claim;
    } catch (err) {
      await producer.disconnect();
      throw err;
    }
  }

  /**
   * Runs `write` in one transaction of the claim. A failure is a ClaimLostError when another run
   * holds the claim now: librdkafka reports a fence as "fenced" or, on a later call, as a fatal
   * state, so the audit topic decides.
   */
  async transaction(write: () => Promise<void>): Promise<void> {
    try {
      await this.producer.beginTransaction();
      await write();
      await this.producer.commitTransaction(30_000);
    } catch (err) {
      const holder = await this.holder();
      if (isKafkaError(err, 'fenced') || (holder !== undefined && holder.id !== this.id)) {
        throw new ClaimLostError(this.step.name, holder?.id === this.id ? undefined : holder);
      }
      throw err;
    }
  }

  /** The latest claim of this step recorded in the audit topic. */
  async holder(): Promise<ClaimHolder | undefined> {
    let latest: ClaimHolder | undefined;
    const key = `claim:${this.step.name}`;
    await readToEnd(this.kafka, [AUDIT_TOPIC], {
      timeoutMs: 10_000,
      onRecord: (r) => {
        if (r.key?.toString() !== key || !r.value) return;
        const entry = JSON.parse(r.value.toString()) as { details: ClaimHolder };
        if (entry.details.group === this.step.group) latest = entry.details;
      },
    }).catch(() => undefined);
    return latest;
  }

  async release(): Promise<void> {
    await this.producer.disconnect();
  }
}
