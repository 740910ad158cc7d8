// What the topics a step writes accept (`max.message.bytes`, read at start): an output its topic
// would refuse fails its input at once (RecordTooLarge, straight to the DLQ) instead of failing the
// whole transaction on every redo — the partition moves on. A DLQ record that its own topic would
// refuse is bounded: the first bytes of the value, the original size in a header, coordinates and
// reason as in every DLQ record.
import type { InboundRecord, OutboundHeader, OutboundRecord } from '../kafka/types.ts';

/** An output, or a DLQ record, larger than its topic accepts. */
export class RecordTooLarge extends Error {
  override name = 'RecordTooLarge';
}

/** Header of a bounded DLQ record: the size of the value it was cut from. */
export const TRUNCATED_HEADER = 'weir.value.truncated.from';
/** How much of a value a bounded DLQ record keeps. */
export const KEPT_BYTES = 1_024;
// Per-record framing, timestamps, the batch header: a generous upper bound, so a record checked
// here never fails at the broker for a few bytes.
const OVERHEAD = 512;

const length = (v: Buffer | string | null | undefined) => (v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);

function recordSize(r: OutboundRecord): number {
  let size = OVERHEAD + length(r.key) + length(r.value);
  for (const h of r.headers ?? []) size += Buffer.byteLength(h.key) + length(h.value);
  return size;
}

export class SizeLimits {
  /** Below this, key + value fit every topic whatever the headers: the per-record check is one comparison. */
  private readonly quickBound: number;

  constructor(private readonly limits: ReadonlyMap<string, number>) {
    this.quickBound = Math.min(...limits.values()) - 64 * 1_024;
  }

  /** The first record its topic would refuse, as an error; undefined when all fit. */
  check(records: readonly OutboundRecord[]): RecordTooLarge | undefined {
    for (const r of records) {
      if ((r.value?.length ?? 0) + length(r.key) < this.quickBound) continue;
      const limit = this.limits.get(r.topic);
      const size = recordSize(r);
      if (limit !== undefined && size > limit)
        return new RecordTooLarge(`an output of ${size} bytes exceeds max.message.bytes ${limit} of topic ${r.topic}`);
    }
    return undefined;
  }

  /** A DLQ (or tier) record its topic would refuse, cut down to what it accepts; other records as they are. */
  bound(r: OutboundRecord): OutboundRecord {
    const limit = this.limits.get(r.topic);
    if (limit === undefined || !r.value || (r.value.length ?? 0) + length(r.key) < this.quickBound || recordSize(r) <= limit) return r;
    const headers: OutboundHeader[] = [...(r.headers ?? []), { key: TRUNCATED_HEADER, value: String(r.value.length) }];
    return { ...r, value: r.value.subarray(0, KEPT_BYTES), headers };
  }
}

/** An input record with only the first bytes of its value (and the original size in a header): for a DLQ that refused the whole. */
export function boundedCopy(r: InboundRecord): InboundRecord {
  if (!r.value || r.value.length <= KEPT_BYTES) return r;
  const headers = [...r.headers, { key: TRUNCATED_HEADER, value: Buffer.from(String(r.value.length)) }];
  return { ...r, value: r.value.subarray(0, KEPT_BYTES), headers, size: KEPT_BYTES + (r.key?.length ?? 0) };
}
