// Injected failures: tests queue "the next call of operation X fails with kind Y" to drive the
// worker's error paths (abort and redo, re-create the producer, stop as a zombie) without a broker.
import { KafkaError, type KafkaErrorKind } from '../../kafka/errors.ts';

interface Fault {
  kind: KafkaErrorKind;
  message: string;
  /** The call takes effect and then fails: its answer was lost. */
  afterEffect: boolean;
}

export class Faults {
  private readonly queued = new Map<string, Fault[]>();

  /** Queues a failure for the next call of `operation` (several queue up, first in first out). */
  failNext(operation: string, kind: KafkaErrorKind, message = 'injected', afterEffect = false): void {
    const list = this.queued.get(operation) ?? [];
    list.push({ kind, message, afterEffect });
    this.queued.set(operation, list);
  }

  /** The error the next call of `operation` must fail with, consuming it; undefined when none. */
  take(operation: string): { error: KafkaError; afterEffect: boolean } | undefined {
    const fault = this.queued.get(operation)?.shift();
    return fault && { error: new KafkaError(fault.kind, operation, undefined, fault.message), afterEffect: fault.afterEffect };
  }

  /** Failures queued and not yet hit, per operation (a test can assert they all fired). */
  pending(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [op, list] of this.queued) if (list.length > 0) out[op] = list.length;
    return out;
  }
}
