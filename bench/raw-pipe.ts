// The baseline: a bare at-least-once pipe on the same Kafka client, bytes in → bytes out, no
// decoding, no transactions. Run as its own process by bench/pipe.ts.
// usage: tsx bench/raw-pipe.ts <bootstrap> <input> <output> <group> <batch>
import { KafkaConsumer } from '../src/kafka/consumer.ts';
import { KafkaProducer } from '../src/kafka/producer.ts';
import { tpKey, type TopicPartitionOffset } from '../src/kafka/types.ts';

const [bootstrap, input, output, group, batchText] = process.argv.slice(2) as [string, string, string, string, string];
const batch = Number(batchText);
const conn = { bootstrapServers: bootstrap, clientId: 'bench-raw' };
const consumer = await KafkaConsumer.connect(conn, {
  name: 'raw',
  groupId: group,
  isolation: 'read_committed',
  onRebalance: (e) => e.kind === 'assign' && console.log(JSON.stringify({ msg: 'assigned' })),
});
const producer = await KafkaProducer.connect(conn, { name: 'raw', extra: { partitioner: 'murmur2_random' } });
consumer.subscribe([input]);
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
while (!stopping) {
  const records = await consumer.consume(batch, 100);
  if (records.length === 0) continue;
  const next = new Map<string, TopicPartitionOffset>();
  for (const r of records) {
    await producer.send({ topic: output, key: r.key, value: r.value, headers: r.headers });
    next.set(tpKey(r), { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
  }
  await producer.flush();
  consumer.commitSync([...next.values()]);
}
await consumer.disconnect();
await producer.disconnect();
