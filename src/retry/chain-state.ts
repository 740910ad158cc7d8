// Loads the ordered-retry state of newly assigned partitions from the compacted keys topic.
// The previous owner of a partition may still have a transaction open that updates the topic (it
// lost the partition but has not yet noticed, or its commit is in flight). Reading before that
// transaction ends would miss its update while the input offsets, which the consumer fetches
// stable, already include it: a key whose head was processed would stay "in the chain" and its
// later records would follow a head that never comes back. So wait for the partitions to be stable.
import type { KafkaClients } from '../kafka/ports.ts';
import { decodeMembers, type KeyChains } from './ordered.ts';

export async function loadKeyChains(
  clients: KafkaClients,
  topic: string,
  partitions: number[],
  chains: KeyChains,
  stableTimeoutMs: number,
): Promise<void> {
  const tps = partitions.map((partition) => ({ topic, partition }));
  for (const p of partitions) chains.forget(p);
  if (tps.length === 0) return;
  await clients.untilStable(tps, stableTimeoutMs);
  await clients.readToEnd(tps, (r) => r.key && chains.load(r.partition, r.key.toString('base64'), decodeMembers(r.value)));
}
