// Redrive and purge. Each batch is one transaction holding the redriven records and their ledger
// entries (and, with the last batch, the audit record): an interrupted run leaves nothing half
// done, and a rerun skips what was already redriven. A run claims the step before it reads the DLQ
// (claim.ts): a second concurrent run fences the first, which stops, and continues from what the
// first committed.
import type { KafkaConnection } from '../../kafka/client-config.ts';
import type { OutboundRecord } from '../../kafka/types.ts';
import { RETRY_HEADERS, withRetryHeaders } from '../../retry/envelope.ts';
import type { PlannedStep } from '../../topology/plan.ts';
import { auditRecord, operator } from '../audit.ts';
import { StepClaim } from '../claim.ts';
import { ledgerKey, pending, readDlq, type DlqEntry, type DlqFilter } from './entries.ts';

export type RedriveTarget = { kind: 'tier'; index: number } | { kind: 'input' };

export interface ActionOptions {
  kafka: KafkaConnection;
  step: PlannedStep;
  filter: DlqFilter;
  dryRun: boolean;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface RedriveOptions extends ActionOptions {
  target: RedriveTarget;
  /** Records per second; default unlimited. */
  rate?: number;
  /** A record already redriven this many times stays in the DLQ (the loop guard). */
  maxRedrives?: number;
}

export interface ActionResult {
  selected: number;
  done: number;
  /** Held back by the loop guard. */
  skipped: number;
  target?: string;
  dryRun: boolean;
}

export function targetTopic(step: PlannedStep, target: RedriveTarget): string {
  if (target.kind === 'input') return step.input;
  const tier = step.retry.tiers[target.index];
  if (!tier) throw new Error(`step ${step.name} has ${step.retry.tiers.length} retry tiers; there is no tier ${target.index}`);
  return tier.topic;
}

function redriven(step: PlannedStep, e: DlqEntry, topic: string, now: number): OutboundRecord {
  const headers = withRetryHeaders(e.record, e.envelope, { step: step.name, group: step.group, attempt: 1, due: now })
    .filter((h) => h.key !== RETRY_HEADERS.redriven)
    .concat({ key: RETRY_HEADERS.redriven, value: Buffer.from(String(e.envelope.redriveCount + 1)) });
  return { topic, partition: e.record.partition, key: e.record.key, value: e.record.value, headers };
}

function ledger(step: PlannedStep, e: DlqEntry, action: 'redriven' | 'purged', target?: string): OutboundRecord {
  const value = { action, at: new Date().toISOString(), by: operator(), ...(target ? { target } : {}) };
  return { topic: step.retry.dlqHandled, key: ledgerKey(e.record), value: Buffer.from(JSON.stringify(value)) };
}

async function inTransactions(
  opts: ActionOptions,
  claim: StepClaim,
  entries: DlqEntry[],
  recordsOf: (e: DlqEntry) => OutboundRecord[],
  audit: OutboundRecord,
  pace?: (n: number) => Promise<void>,
): Promise<void> {
  const size = opts.batchSize ?? 500;
  for (let i = 0; i < entries.length; i += size) {
    const chunk = entries.slice(i, i + size);
    await claim.transaction(async () => {
      await claim.producer.sendAll(chunk.flatMap(recordsOf));
      if (i + size >= entries.length) await claim.producer.send(audit);
    });
    opts.onProgress?.(Math.min(i + size, entries.length), entries.length);
    await pace?.(chunk.length);
  }
}

/** Reads the pending entries and, unless a dry run, acts on them while holding the step's claim. */
async function claimed<T>(
  opts: ActionOptions,
  action: string,
  act: (entries: DlqEntry[], claim: StepClaim | undefined) => Promise<T>,
): Promise<T> {
  if (opts.dryRun) return act(pending(await readDlq(opts.kafka, opts.step), opts.filter), undefined);
  const claim = await StepClaim.acquire(opts.kafka, opts.step, action);
  try {
    // Read after claiming: what an earlier, now fenced run committed is in the ledger.
    return await act(pending(await readDlq(opts.kafka, opts.step), opts.filter), claim);
  } finally {
    await claim.release();
  }
}

export async function redrive(opts: RedriveOptions): Promise<ActionResult> {
  const topic = targetTopic(opts.step, opts.target);
  return claimed(opts, 'dlq-redrive', (selected, claim) => redriveEntries(opts, topic, selected, claim));
}

async function redriveEntries(
  opts: RedriveOptions,
  topic: string,
  selected: DlqEntry[],
  claim: StepClaim | undefined,
): Promise<ActionResult> {
  const max = opts.maxRedrives ?? 3;
  const eligible = selected.filter((e) => e.envelope.redriveCount < max);
  const result = { selected: selected.length, done: 0, skipped: selected.length - eligible.length, target: topic, dryRun: opts.dryRun };
  if (!claim || eligible.length === 0) return result;
  const started = Date.now();
  let sent = 0;
  const pace = opts.rate
    ? async (n: number) => {
        sent += n;
        const ahead = (sent / opts.rate!) * 1000 - (Date.now() - started);
        if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
      }
    : undefined;
  const now = Date.now();
  const audit = auditRecord({
    action: 'dlq-redrive',
    step: opts.step.name,
    details: { filter: opts.filter, target: topic, records: eligible.length, skippedByLoopGuard: result.skipped },
  });
  await inTransactions(
    opts,
    claim,
    eligible,
    (e) => [redriven(opts.step, e, topic, now), ledger(opts.step, e, 'redriven', topic)],
    audit,
    pace,
  );
  return { ...result, done: eligible.length };
}

export async function purge(opts: ActionOptions): Promise<ActionResult> {
  return claimed(opts, 'dlq-purge', (selected, claim) => purgeEntries(opts, selected, claim));
}

async function purgeEntries(opts: ActionOptions, selected: DlqEntry[], claim: StepClaim | undefined): Promise<ActionResult> {
  const result = { selected: selected.length, done: 0, skipped: 0, dryRun: opts.dryRun };
  if (!claim || selected.length === 0) return result;
  const audit = auditRecord({ action: 'dlq-purge', step: opts.step.name, details: { filter: opts.filter, records: selected.length } });
  await inTransactions(opts, claim, selected, (e) => [ledger(opts.step, e, 'purged')], audit);
  return { ...result, done: selected.length };
}
