// Where Kafka keeps a coordinator's state: a transactional id on __transaction_state, a consumer
// group on __consumer_offsets, each at Utils.abs(String.hashCode) % partitions. The partition's
// leader is the coordinator.
import type { TopicPartition } from '../../src/kafka/types.ts';

/** Java's String.hashCode. */
function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

export function coordinatorPartition(topic: '__transaction_state' | '__consumer_offsets', key: string, partitions: number): TopicPartition {
  const h = javaHashCode(key);
  return { topic, partition: (h === -2147483648 ? 0 : Math.abs(h)) % partitions };
}
