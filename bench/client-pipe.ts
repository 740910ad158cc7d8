// The client's floor for an exactly-once pipe: bytes in → bytes out on the same librdkafka client
// weir uses, with the one header weir writes (weir.event.id), a transaction per 10 000 records with
// the offsets in it, the next batch read while one commits — no decoding, no transform, no runtime.
// Run as its own process by bench/peer.ts. usage: tsx bench/client-pipe.ts <bootstrap> <input> <output> <group>
import { KafkaConsumer } from '../src/kafka/consumer.ts';
import { KafkaProducer } from '../src/kafka/producer.ts';
import type { InboundRecord } from '../src/kafka/types.ts';
import { nextOffsets } from '../src/runtime/positions.ts';

const [bootstrap, input, output, group] = process.argv.slice(2) as [string, string, string, string];
const BATCH = 10_000;
const conn = { bootstrapServers: bootstrap, clientId: 'bench-client-pipe' };
const consumer = await KafkaConsumer.connect(conn, {
  name: 'client-pipe',
  groupId: group,
  isolation: 'read_committed',
  extra: { 'queued.max.messages.kbytes': 16_384 },
  onRebalance: (e) => e.kind === 'assign' && console.log(JSON.stringify({ msg: 'assigned' })),
});
const producer = await KafkaProducer.connect(conn, {
  name: 'client-pipe',
  transactionalId: `${group}-0`,
  extra: { partitioner: 'murmur2_random' },
});
await producer.initTransactions(30_000);
consumer.subscribe([input]);
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
let committing: Promise<void> | undefined;
while (!stopping) {
  const batch: InboundRecord[] = [];
  const deadline = Date.now() + 100;
  while (batch.length < BATCH && Date.now() < deadline && !stopping) {
    for (const r of await consumer.consume(BATCH - batch.length, 100)) batch.push(r);
  }
  await committing;
  if (batch.length === 0) continue;
  await producer.beginTransaction();
  for (const r of batch) {
    const headers = [{ key: 'weir.event.id', value: `client-pipe:${r.topic}:${r.partition}:${r.offset}:0` }];
    if (!producer.trySend({ topic: output, key: r.key, value: r.value, headers }))
      await producer.send({ topic: output, key: r.key, value: r.value, headers });
  }
  committing = producer.sendOffsetsToTransaction(nextOffsets(batch), consumer, 30_000).then(() => producer.commitTransaction(30_000));
}
await committing;
await consumer.disconnect();
await producer.disconnect();
