// Completing assignments and revocations, between batches, with no transaction open. The retry
// tiers' partition p follows input partition p: one owner holds a partition index everywhere.
import { metrics, stepLabels } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';
import type { KafkaClients, StepConsumer } from '../kafka/ports.ts';
import type { TopicPartition } from '../kafka/types.ts';
import { loadKeyChains } from '../retry/chain-state.ts';
import type { KeyChains } from '../retry/ordered.ts';
import type { PlannedStep } from '../topology/plan.ts';
import type { DuePartitions } from './due.ts';
import type { BatchStrategy } from './strategy.ts';

export interface RebalanceContext {
  step: PlannedStep;
  clients: KafkaClients;
  strategy: BatchStrategy;
  due: DuePartitions;
  chains: KeyChains | undefined;
  /** Input partition → last committed next offset, for the idle commit of positions. */
  committed: Map<string, number>;
  log: Logger;
}

/** Applies the consumer's pending rebalance events; true when at least one was applied. */
export async function applyRebalances(ctx: RebalanceContext, consumer: StepConsumer): Promise<boolean> {
  const { step, log } = ctx;
  const tierTopics = step.retry.tiers.map((t) => t.topic);
  const events = consumer.takeRebalanceEvents();
  for (const event of events) {
    const all: TopicPartition[] = [
      ...event.partitions,
      ...event.partitions.flatMap((tp) => tierTopics.map((topic) => ({ topic, partition: tp.partition }))),
    ];
    const indexes = event.partitions.map((p) => p.partition);
    if (event.kind === 'assign') {
      if (ctx.chains) {
        // Offsets fetched stable wait for a transaction of the previous owner that already holds
        // offsets of these partitions; any other one of its transactions can no longer commit (its
        // generation is gone). Only then is the keys topic complete (see loadKeyChains).
        const bound = step.transactionTimeoutMs + 30_000;
        await consumer.committed(all, bound);
        await loadKeyChains(ctx.clients, step.retry.keysTopic!, indexes, ctx.chains, bound);
        log.info(
          { partitions: indexes, keysInChain: indexes.reduce((n, p) => n + ctx.chains!.keysInChain(p), 0) },
          'rebuilt ordered-retry state',
        );
      }
      consumer.completeAssign(await ctx.strategy.startPositions(all));
      log.info({ partitions: indexes }, 'assigned');
    } else {
      for (const tp of all) ctx.due.forget(tp);
      for (const p of indexes) {
        ctx.committed.delete(`${p}`);
        ctx.chains?.forget(p);
      }
      ctx.strategy.released(all);
      consumer.completeRevoke(all);
      log.info({ partitions: indexes, lost: event.lost }, 'revoked');
    }
    metrics.assignedPartitions.set(stepLabels(step), consumer.assignment().filter((tp) => tp.topic === step.input).length);
  }
  return events.length > 0;
}
