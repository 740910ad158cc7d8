// Names weir derives: consumer groups, transactional ids, retry tiers, DLQs, subjects. Per step, so
// two steps reading one topic never share a group or a retry chain.
import { formatDuration } from './spec/index.ts';

export const groupId = (pipeline: string, step: string) => `weir.${pipeline}.${step}`;
export const transactionalIdPrefix = (pipeline: string, step: string) => `weir.${pipeline}.${step}.`;
export const retryTierTopic = (input: string, step: string, delayMs: number) => `${input}.${step}.retry.${formatDuration(delayMs)}`;
export const dlqTopic = (input: string, step: string) => `${input}.${step}.dlq`;
export const retryKeysTopic = (input: string, step: string) => `${input}.${step}.retry.keys`;
export const subjectName = (topic: string, part: 'key' | 'value') => `${topic}-${part}`;
export const dlqHandledTopic = (input: string, step: string) => `${input}.${step}.dlq.handled`;
/** One topic per cluster for operators' actions (DLQ redrive and purge, replays): who, when, what. */
export const AUDIT_TOPIC = 'weir.audit';
