// Retry-tier records wait until their due time (header weir.due): when a partition's head is not
// due yet, the partition is paused and rewound to it, and resumed by a timer at the due time.
// Never early, no busy polling, and every other partition keeps flowing.
import type { StepConsumer } from '../kafka/ports.ts';
import { tpKey, type InboundRecord, type TopicPartition } from '../kafka/types.ts';
import { RETRY_HEADERS } from '../retry/envelope.ts';
import type { Clock, Timer } from './clock.ts';
import { headerText } from './headers.ts';

interface Held {
  tp: TopicPartition;
  timer: Timer;
  /** When the waiting head record was written (its hop). */
  since: number;
}

export function dueOf(r: InboundRecord): number | undefined {
  const v = headerText(r.headers, RETRY_HEADERS.due);
  return v === undefined ? undefined : Number(v);
}

export class DuePartitions {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly resume: (tps: TopicPartition[]) => void,
    private readonly clock: Clock,
  ) {}

  /** The records that may be processed now; holds back every partition whose head is not due. */
  filter(records: InboundRecord[], consumer: StepConsumer, now = this.clock.now()): InboundRecord[] {
    const out: InboundRecord[] = [];
    for (const r of records) {
      // Most records carry no headers and most partitions are not held: nothing to look up then.
      if (this.held.size > 0 && this.held.has(tpKey(r))) continue; // fetched before the pause took effect: re-read after resume
      const due = r.headers.length === 0 ? undefined : dueOf(r);
      if (due !== undefined && due > now) {
        this.hold(r, due - now, consumer);
        continue;
      }
      out.push(r);
    }
    return out;
  }

  get heldPartitions(): number {
    return this.held.size;
  }

  /** Write time of the record a held partition waits on (its oldest), if the partition is held. */
  waitingSince(tp: TopicPartition): number | undefined {
    return this.held.get(tpKey(tp))?.since;
  }

  private hold(r: InboundRecord, waitMs: number, consumer: StepConsumer): void {
    const tp = { topic: r.topic, partition: r.partition };
    consumer.pause([tp]);
    const rewound = consumer.seek({ ...tp, offset: r.offset }).catch(() => undefined);
    // Resume only once the rewind is done, or the held record could be skipped.
    const timer = this.clock.setTimer(() => {
      void rewound.then(() => {
        if (this.held.get(tpKey(tp))?.timer !== timer) return; // forgotten (revoked) meanwhile
        this.held.delete(tpKey(tp));
        this.resume([tp]);
      });
    }, waitMs);
    this.held.set(tpKey(tp), { tp, timer, since: r.timestamp });
  }

  forget(tp: TopicPartition): void {
    const h = this.held.get(tpKey(tp));
    if (h) h.timer.cancel();
    this.held.delete(tpKey(tp));
  }

  clear(): void {
    for (const h of this.held.values()) h.timer.cancel();
    this.held.clear();
  }
}
