// Runs one batch through the step's processor with its ordering guarantee: `partition` ordering runs
// each partition's records one after another (partitions side by side); `key` ordering runs distinct
// keys side by side (at most `concurrency` at once), each key's records one after another.
// A partition's lane spans the input partition and the retry tiers' partitions of the same index
// (one owner holds them all): ordered retries decide "process or follow the key's head" in lane
// order, so a key's record from a tier and one from the input must never run side by side, and
// their outputs must keep the order they were decided in.
// A record whose processing is synchronous costs no promise: a lane awaits only what is pending.
import type { Work } from './step-io.ts';

function lanesOf(items: Work[], ordering: 'partition' | 'key'): number[][] {
  const lanes = new Map<number | string, number[]>();
  for (let i = 0; i < items.length; i++) {
    const raw = items[i]!.raw;
    const lane = ordering === 'partition' ? raw.partition : `${raw.partition}\u0000${raw.key?.toString('latin1') ?? ''}`;
    const list = lanes.get(lane);
    if (list) list.push(i);
    else lanes.set(lane, [i]);
  }
  return [...lanes.values()];
}

/** Calls `fn` for every item; rejects with the first error thrown, once every lane has finished. */
export async function executeBatch(
  items: Work[],
  ordering: 'partition' | 'key',
  concurrency: number,
  fn: (w: Work, index: number) => Promise<void> | void,
): Promise<void> {
  const lanes = lanesOf(items, ordering);
  const width = ordering === 'key' ? Math.max(1, concurrency) : lanes.length;
  let failed: { error: unknown } | undefined;
  let next = 0;
  const runLane = async (lane: number[]) => {
    for (const i of lane) {
      try {
        const pending = fn(items[i]!, i);
        if (pending !== undefined) await pending;
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  const worker = async () => {
    while (next < lanes.length) await runLane(lanes[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, lanes.length) }, worker));
  if (failed) throw failed.error;
}
