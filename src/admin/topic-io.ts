// Records as JSON lines, for `weir produce` and `weir consume`. Producing: each line becomes a record
// encoded with the topic's key and value formats (Avro with the schema as registered), and the
// whole input is checked before anything is sent. Consuming: records become plain JSON (bigints as
// strings, bytes as base64, decimals as exact strings); bytes that do not decode are shown as base64
// with the reason, never a crash. No Kafka client here: see topic-transfer.ts for that part.
export * from './topic-io/formats.ts';
export * from './topic-io/encode.ts';
export * from './topic-io/decode.ts';
