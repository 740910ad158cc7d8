// Topic configs: what is set on a topic (DescribeConfigs) and setting or removing entries
// (IncrementalAlterConfigs), which the client library does not expose.
import type { KafkaConnection } from './client-config.ts';
import { BrokerConnection, type ProtocolSecurity } from './protocol/connection.ts';
import { Writer } from './protocol/wire.ts';

const TOPIC = 2;
const API = { describeConfigs: 32, incrementalAlterConfigs: 44 } as const;
/** ConfigSource 1: set on this topic (not a broker default). */
const DYNAMIC_TOPIC_CONFIG = 1;

export interface TopicConfigEntry {
  value: string | null;
  /** Set on the topic itself (as opposed to a broker or built-in default). */
  explicit: boolean;
}

function security(conn: KafkaConnection): ProtocolSecurity {
  const x = conn.extra ?? {};
  const s: ProtocolSecurity = { protocol: String(x['security.protocol'] ?? 'PLAINTEXT').toUpperCase() as ProtocolSecurity['protocol'] };
  if (x['sasl.mechanisms']) s.mechanism = String(x['sasl.mechanisms']).toUpperCase() as ProtocolSecurity['mechanism'];
  if (x['sasl.username']) s.username = String(x['sasl.username']);
  if (x['sasl.password']) s.password = String(x['sasl.password']);
  if (x['ssl.ca.location']) s.caFile = String(x['ssl.ca.location']);
  return s;
}

export async function describeTopicConfigs(conn: KafkaConnection, topics: string[]): Promise<Map<string, Map<string, TopicConfigEntry>>> {
  const out = new Map<string, Map<string, TopicConfigEntry>>();
  if (topics.length === 0) return out;
  const broker = await BrokerConnection.open(conn.bootstrapServers, security(conn));
  try {
    const body = new Writer()
      .array(topics, (w, t) =>
        w
          .int8(TOPIC)
          .string(t)
          .array(null, () => undefined),
      )
      .bool(false)
      .build();
    const r = await broker.request(API.describeConfigs, 1, body);
    r.int32(); // throttle
    for (const res of r.array((x) => {
      const error = x.int16();
      const message = x.string();
      x.int8();
      const name = x.string()!;
      const configs = x.array((c) => {
        const key = c.string()!;
        const value = c.string();
        c.bool(); // read only
        const source = c.int8();
        const sensitive = c.bool();
        c.array((syn) => (syn.string(), syn.string(), syn.int8()));
        return { key, value: sensitive ? null : value, explicit: source === DYNAMIC_TOPIC_CONFIG };
      });
      return { error, message, name, configs };
    })) {
      if (res.error !== 0) throw new Error(`describing configs of ${res.name}: ${res.message ?? `error ${res.error}`}`);
      out.set(res.name, new Map(res.configs.map((c) => [c.key, { value: c.value, explicit: c.explicit }])));
    }
    return out;
  } finally {
    broker.close();
  }
}

/** Sets (or, for null values, removes) topic config entries. */
export async function alterTopicConfigs(conn: KafkaConnection, changes: Map<string, Record<string, string | null>>): Promise<void> {
  if (changes.size === 0) return;
  const broker = await BrokerConnection.open(conn.bootstrapServers, security(conn));
  try {
    const body = new Writer()
      .array([...changes], (w, [topic, configs]) =>
        w
          .int8(TOPIC)
          .string(topic)
          .array(Object.entries(configs), (cw, [k, v]) =>
            cw
              .string(k)
              .int8(v === null ? 1 : 0)
              .string(v),
          ),
      )
      .bool(false)
      .build();
    const r = await broker.request(API.incrementalAlterConfigs, 0, body);
    r.int32();
    for (const res of r.array((x) => ({ error: x.int16(), message: x.string(), type: x.int8(), name: x.string() }))) {
      if (res.error !== 0) throw new Error(`altering configs of ${res.name}: ${res.message ?? `error ${res.error}`}`);
    }
  } finally {
    broker.close();
  }
}
