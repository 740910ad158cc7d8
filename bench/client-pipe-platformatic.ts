// The same exactly-once floor as bench/client-pipe.ts on another client: @platformatic/kafka (pure
// JavaScript, no native binding). Bytes in → bytes out with weir's one header, a transaction per
// 10 000 records holding the offsets (the last record of each partition), fetching on while one
// commits. Measures whether a different client could carry weir past the librdkafka binding's
// floor. usage: tsx bench/client-pipe-platformatic.ts <bootstrap> <input> <output> <group>
import {
  Consumer,
  FetchIsolationLevels,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  Producer,
  ProduceAcks,
  type Message,
} from '@platformatic/kafka';

const [bootstrap, input, output, group] = process.argv.slice(2) as [string, string, string, string];
const BATCH = 10_000;
const consumer = new Consumer({
  clientId: 'bench-client-pipe-platformatic',
  bootstrapBrokers: [bootstrap],
  groupId: group,
  isolationLevel: FetchIsolationLevels.READ_COMMITTED,
  autocommit: false,
  maxWaitTime: 100,
  maxBytes: 16 * 1024 * 1024,
});
const producer = new Producer({
  clientId: 'bench-client-pipe-platformatic',
  bootstrapBrokers: [bootstrap],
  transactionalId: `${group}-0`,
  idempotent: true,
  acks: ProduceAcks.ALL,
});
const stream = await consumer.consume({
  topics: [input],
  mode: MessagesStreamModes.COMMITTED,
  fallbackMode: MessagesStreamFallbackModes.EARLIEST,
  autocommit: false,
  isolationLevel: FetchIsolationLevels.READ_COMMITTED,
});
const buffered: Message[] = [];
let wake: (() => void) | undefined;
stream.on('data', (m: Message) => {
  buffered.push(m);
  if (buffered.length >= BATCH) wake?.();
  // Bounded like librdkafka's fetch queue: two batches ahead at most.
  if (buffered.length >= 2 * BATCH) stream.pause();
});
console.log(JSON.stringify({ msg: 'assigned' })); // the stream has joined the group once consume() resolves
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
  wake?.();
});
while (!stopping) {
  if (buffered.length < BATCH) await new Promise<void>((r) => ((wake = r), setTimeout(r, 100)));
  wake = undefined;
  if (buffered.length === 0) continue;
  // At most one batch per transaction: a produce request holds one record batch per partition,
  // which the broker refuses above message.max.bytes (1 MiB by default).
  const batch = buffered.splice(0, BATCH);
  if (stream.isPaused() && buffered.length < BATCH) stream.resume();
  const tx = await producer.beginTransaction();
  await tx.addConsumer(consumer);
  await tx.send({
    messages: batch.map((m) => ({
      topic: output,
      key: m.key,
      value: m.value,
      headers: new Map([[Buffer.from('weir.event.id'), Buffer.from(`client-pipe:${m.topic}:${m.partition}:${m.offset}:0`)]]),
    })),
  });
  const last = new Map<number, Message>();
  for (const m of batch) last.set(m.partition, m);
  for (const m of last.values()) await tx.addOffset(m);
  await tx.commit();
}
await stream.close();
await consumer.close();
await producer.close();
