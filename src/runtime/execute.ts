// Runs one batch through the step's processor with its ordering guarantee: `partition` ordering runs
// each partition's records one after another (partitions side by side); `key` ordering runs distinct
// keys side by side (at most `concurrency` at once), each key's records one after another.
// A partition's lane spans the input partition and the retry tiers' partitions of the same index
// (one owner holds them all): ordered retries decide "process or follow the key's head" in lane
// order, so a key's record from a tier and one from the input must never run side by side, and
// their outputs must keep the order they were decided in.
import type { Work } from './step-io.ts';

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

function lanesOf(items: Work[], ordering: 'partition' | 'key'): number[][] {
  const lanes = new Map<string, number[]>();
  items.forEach((w, i) => {
    const lane = ordering === 'partition' ? String(w.raw.partition) : `${w.raw.partition}\u0000${w.raw.key?.toString('base64') ?? ''}`;
    const list = lanes.get(lane);
    if (list) list.push(i);
    else lanes.set(lane, [i]);
  });
  return [...lanes.values()];
}

export async function executeBatch<T>(
  items: Work[],
  ordering: 'partition' | 'key',
  concurrency: number,
  fn: (w: Work) => Promise<T> | T,
): Promise<Outcome<T>[]> {
  const outcomes: Outcome<T>[] = new Array(items.length);
  const lanes = lanesOf(items, ordering);
  const width = ordering === 'key' ? Math.max(1, concurrency) : lanes.length;
  let next = 0;
  const runLane = async (lane: number[]) => {
    for (const i of lane) {
      try {
        const r = fn(items[i]!);
        outcomes[i] = { ok: true, value: r instanceof Promise ? await r : r };
      } catch (error) {
        outcomes[i] = { ok: false, error };
      }
    }
  };
  const worker = async () => {
    while (next < lanes.length) await runLane(lanes[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, lanes.length) }, worker));
  return outcomes;
}
