// Topic configs: what is set on a topic (DescribeConfigs) and setting or removing entries
// (IncrementalAlterConfigs), which librdkafka's binding does not expose, through @platformatic/kafka's
// Admin with the workers' security settings (config-admin.ts), isolated in a worker thread with a
// deadline naming the bootstrap servers (admin-isolated.ts).
import {
  ConfigResourceTypes,
  ConfigSources,
  IncrementalAlterConfigOperationTypes,
  type ConfigDescription,
  type DescribeConfigsOptions,
  type IncrementalAlterConfigsOptions,
} from '@platformatic/kafka';
import { callAdmin } from './admin-isolated.ts';
import type { KafkaConnection } from './client-config.ts';

export interface TopicConfigEntry {
  value: string | null;
  /** Set on the topic itself (as opposed to a broker or built-in default). */
  explicit: boolean;
}

export async function describeTopicConfigs(
  conn: KafkaConnection,
  topics: string[],
  timeoutMs?: number,
): Promise<Map<string, Map<string, TopicConfigEntry>>> {
  const out = new Map<string, Map<string, TopicConfigEntry>>();
  if (topics.length === 0) return out;
  const request: DescribeConfigsOptions = {
    resources: topics.map((t) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: t })),
  };
  const described = await callAdmin<ConfigDescription[]>(conn, 'describeConfigs', request, 'describing topic configs', timeoutMs);
  for (const res of described) {
    out.set(
      res.resourceName,
      new Map(
        res.configs.map((c) => [
          c.name,
          { value: c.isSensitive ? null : (c.value ?? null), explicit: c.configSource === ConfigSources.TOPIC_CONFIG },
        ]),
      ),
    );
  }
  return out;
}

/** Sets (or, for null values, removes) topic config entries. */
export async function alterTopicConfigs(
  conn: KafkaConnection,
  changes: Map<string, Record<string, string | null>>,
  timeoutMs?: number,
): Promise<void> {
  if (changes.size === 0) return;
  const resources: IncrementalAlterConfigsOptions['resources'] = [...changes].map(([topic, configs]) => ({
    resourceType: ConfigResourceTypes.TOPIC,
    resourceName: topic,
    configs: Object.entries(configs).map(([name, value]) =>
      value === null
        ? { name, configOperation: IncrementalAlterConfigOperationTypes.DELETE }
        : { name, value, configOperation: IncrementalAlterConfigOperationTypes.SET },
    ),
  }));
  await callAdmin(conn, 'incrementalAlterConfigs', { resources }, 'altering topic configs', timeoutMs);
}
