// What an operator reads when the loop changes state because of a failure: one line per failed
// transition, worded for the failure's kind (fenced, a sink that is away, an abort…).
import type { Logger } from '../observability/logger.ts';
import { metrics, stepLabels } from '../observability/metrics.ts';
import { RegistryUnavailableError } from '../schema/errors.ts';
import type { PlannedStep } from '../topology/plan.ts';
import { kindOf, type State } from './lifecycle.ts';
import { TransientFailure } from './strategy.ts';

export function logTransition(log: Logger, step: PlannedStep, from: State, to: State, reason: Error | undefined): void {
  if (!reason) {
    if (to === 'stopped') log.info('stopped');
    return;
  }
  const fields = { from, to, reason: reason.message };
  if (to === 'stopped') log.error(fields, 'worker stopped: this failure cannot be retried');
  else if (reason instanceof TransientFailure)
    log.warn(
      fields,
      from === 'rebalancing' ? 'cannot claim the partitions in the sink; rejoining' : 'sink write failed; redoing the batch',
    );
  else if (to === 'rejoining' && kindOf(reason) === 'fenced') {
    metrics.fenced.inc(stepLabels(step));
    log.warn(fields, 'fenced: another instance owns our partitions or transactional id; rejoining as a new member');
  } else if (to === 'rejoining') log.warn(fields, 'the clients failed; rejoining as a new member');
  // The records are fine, the registry is not: the batch waits (rewound, backed off) and never goes to the DLQ.
  else if (to === 'rewinding' && from === 'processing' && reason instanceof RegistryUnavailableError)
    log.warn(fields, 'schema registry unreachable; retrying the batch');
  else if (to === 'rewinding' && from === 'processing') log.warn(fields, 'cannot process the batch now; retrying it');
  else if (to === 'collecting') log.warn(fields, 'poll failed; polling again');
  else log.warn(fields, 'transaction aborted; rewinding the batch');
}
