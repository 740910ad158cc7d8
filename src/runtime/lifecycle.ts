// A worker's lifecycle as a table: which state may follow which, and — in one place — where each
// kind of failure leads from each state. The loop (loop.ts) does the work of a state and then asks
// this table for the next one; an illegal step is a bug and throws. Transitions happen per batch,
// never per record.
//
// Batches overlap (a pipelined strategy): batch N's transaction is "in flight" while N+1 is
// collected and processed; `settling` is where the loop waits for N's outcome before producing N+1.
import { isKafkaError, type KafkaErrorKind } from '../kafka/errors.ts';
import { RegistryUnavailableError } from '../schema/errors.ts';
import { SinkFenced } from '../sinks/sink.ts';
import { TransientFailure } from './strategy.ts';

export type State =
  /** Connecting the consumer and producer (initTransactions fences our predecessor), subscribing. */
  | 'starting'
  /** Completing assignments and revocations; nothing is in flight. */
  | 'rebalancing'
  /** Polling the next batch (the previous one may still be committing). */
  | 'collecting'
  /** Decoding and transforming the batch; nothing is written yet. */
  | 'processing'
  /** Waiting for the in-flight batch's outcome. */
  | 'settling'
  /** Handing the batch and its next offsets to a transaction, which then is in flight. */
  | 'producing'
  /** The transaction failed and the producer is fine: abort it. */
  | 'aborting'
  /** The outcome is unknown (timeout): a new producer with the same id fences the old epoch. */
  | 'replacing'
  /** Seeking every partition of the failed batches back to their first record; backing off. */
  | 'rewinding'
  /** Fenced (a zombie) or the clients failed: drop them and join again as a new member. */
  | 'rejoining'
  /** Stop requested: nothing in flight any more; leaving the group. */
  | 'closing'
  | 'stopped';

/** A failure's kind: Kafka's, or what a non-Kafka failure amounts to (see `kindOf`). */
export type FailureKind = KafkaErrorKind;

interface Row {
  /** States that may follow when the state's work succeeds. */
  next: readonly State[];
  /** Where each kind of failure of the state's work leads. Missing: the state cannot fail so. */
  failure: Partial<Record<FailureKind, State>>;
}

const REJOIN = { abortable: 'rejoining', retriable: 'rejoining', indefinite: 'rejoining', fenced: 'rejoining', fatal: 'stopped' } as const;
/** A transaction's failure: the one mapping of error kinds the issue of this design is about. */
const TRANSACTION = {
  abortable: 'aborting',
  retriable: 'aborting',
  indefinite: 'replacing',
  fenced: 'rejoining',
  fatal: 'stopped',
} as const;

export const TABLE: Record<State, Row> = {
  starting: { next: ['rebalancing', 'closing'], failure: REJOIN },
  rebalancing: { next: ['collecting', 'closing'], failure: REJOIN },
  // Poll errors other than fenced/fatal are the client's own business (it reconnects): poll again.
  collecting: {
    next: ['processing', 'settling', 'rebalancing', 'collecting', 'producing', 'closing'],
    failure: { abortable: 'collecting', retriable: 'collecting', indefinite: 'collecting', fenced: 'rejoining', fatal: 'stopped' },
  },
  // A registry outage: the records are fine, try them again later.
  processing: {
    next: ['settling', 'producing'],
    failure: { retriable: 'rewinding', indefinite: 'rewinding', abortable: 'rewinding', fenced: 'rejoining', fatal: 'stopped' },
  },
  settling: { next: ['producing', 'collecting', 'rebalancing', 'closing'], failure: TRANSACTION },
  producing: { next: ['collecting', 'settling'], failure: TRANSACTION },
  // An abort that fails leaves the outcome unknown: replace the producer.
  aborting: {
    next: ['rewinding'],
    failure: { abortable: 'replacing', retriable: 'replacing', indefinite: 'replacing', fenced: 'rejoining', fatal: 'stopped' },
  },
  replacing: {
    next: ['rewinding'],
    failure: { abortable: 'rejoining', retriable: 'rejoining', indefinite: 'rejoining', fenced: 'rejoining', fatal: 'stopped' },
  },
  rewinding: { next: ['collecting'], failure: REJOIN },
  rejoining: { next: ['starting', 'stopped'], failure: {} },
  closing: { next: ['stopped'], failure: {} },
  stopped: { next: [], failure: {} },
};

export class IllegalTransition extends Error {
  override name = 'IllegalTransition';
}

/** A failure that ends the worker: `weir run` exits non-zero with its reason. */
export class WorkerFailed extends Error {
  override name = 'WorkerFailed';
  constructor(readonly reason: Error) {
    super(reason.message);
  }
}

/** What a failure amounts to. Errors that are neither Kafka's nor known to be transient are bugs or bad settings: fatal. */
export function kindOf(err: unknown): FailureKind {
  if (isKafkaError(err)) return err.kind;
  if (err instanceof SinkFenced) return 'fenced';
  if (err instanceof RegistryUnavailableError || err instanceof TransientFailure) return 'retriable';
  return 'fatal';
}

export class Lifecycle {
  private current: State = 'starting';

  constructor(private readonly onTransition: (from: State, to: State, reason?: Error) => void = () => undefined) {}

  get state(): State {
    return this.current;
  }

  /** The state's work succeeded and `next` follows. */
  go(next: State): void {
    if (!TABLE[this.current].next.includes(next))
      throw new IllegalTransition(`${this.current} → ${next} is not a transition of the worker lifecycle`);
    this.move(next);
  }

  /** The state's work failed with `err`: the table says where to go. Returns the new state. */
  fail(err: unknown): State {
    const reason = err instanceof Error ? err : new Error(String(err));
    const next = TABLE[this.current].failure[kindOf(err)];
    if (!next) throw new IllegalTransition(`${this.current} cannot fail (${reason.message})`);
    this.move(next, reason);
    return next;
  }

  private move(next: State, reason?: Error): void {
    const from = this.current;
    this.current = next;
    this.onTransition(from, next, reason);
  }
}

/** The table as Markdown, for docs/runtime.md (written by `npm run gen:docs`, checked by a unit test). */
export function lifecycleMarkdown(): string {
  const kinds: FailureKind[] = ['abortable', 'retriable', 'indefinite', 'fenced', 'fatal'];
  const rows = (Object.keys(TABLE) as State[]).map(
    (s) =>
      `| \`${s}\` | ${TABLE[s].next.map((n) => `\`${n}\``).join(', ') || '—'} | ${kinds.map((k) => (TABLE[s].failure[k] ? `\`${TABLE[s].failure[k]}\`` : '—')).join(' | ')} |`,
  );
  return [`| state | next on success | ${kinds.join(' | ')} |`, `|---|---|${kinds.map(() => '---').join('|')}|`, ...rows].join('\n');
}
