// Transform and produce: each input's outputs, retry hops, DLQ records and ordered-retry
// bookkeeping go out in one Kafka transaction with the batch's next offsets. Batches overlap: N+1
// is decoded and transformed while N commits; N+1's ordered-retry state builds on N's staging and
// is applied only once N+1 commits.
import { metrics, type StepLabels } from '../../observability/metrics.ts';
import type { TopicPartition } from '../../kafka/types.ts';
import type { BatchProcessor, PreparedBatch } from '../batch-processor.ts';
import type { BatchStrategy } from '../strategy.ts';
import { writeBatch } from '../transaction.ts';

export function produceStrategy(labels: StepLabels, batches: BatchProcessor): BatchStrategy<PreparedBatch> {
  return {
    pipelined: true,
    open: async () => undefined,
    close: async () => undefined,
    startPositions: async (partitions: TopicPartition[]) => partitions,
    // After initTransactions fenced the old epoch its transaction is complete or aborted: stable offsets tell which.
    storedPositions: (partitions, consumer) => consumer.committed(partitions, 30_000),
    released: () => undefined,
    prepare: (batch, inFlight) => batches.prepare(batch, inFlight?.staging),
    write(prepared, offsets, tx) {
      if (!prepared) return writeBatch(tx, [], offsets);
      metrics.recordsOut.inc(labels, prepared.outputs);
      // The records are handed over: while this batch commits (and the next is prepared) only its
      // staging is kept, not thousands of records a garbage collection would copy again and again.
      const records = prepared.records;
      prepared.records = [];
      return writeBatch(tx, records, offsets, prepared.timings);
    },
    committed: (prepared) => prepared?.staging?.apply(),
  };
}
