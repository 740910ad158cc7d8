// Kafka security from the environment (or the env file), mapped to librdkafka properties. Secrets
// may come from files (`…_FILE`), so they need not sit in the environment; they are never printed.
import { readFileSync } from 'node:fs';
import { registerSecrets } from './redact.ts';

export interface KafkaSettings {
  bootstrapServers: string;
  /** librdkafka properties (security). */
  extra: Record<string, string>;
}

const MAP: Array<[env: string, property: string, secret?: boolean]> = [
  ['KAFKA_SECURITY_PROTOCOL', 'security.protocol'],
  ['KAFKA_SASL_MECHANISM', 'sasl.mechanisms'],
  ['KAFKA_SASL_USERNAME', 'sasl.username'],
  ['KAFKA_SASL_PASSWORD', 'sasl.password', true],
  ['KAFKA_SSL_CA_LOCATION', 'ssl.ca.location'],
  ['KAFKA_SSL_CERTIFICATE_LOCATION', 'ssl.certificate.location'],
  ['KAFKA_SSL_KEY_LOCATION', 'ssl.key.location'],
  ['KAFKA_SSL_KEY_PASSWORD', 'ssl.key.password', true],
  ['KAFKA_SASL_OAUTHBEARER_METHOD', 'sasl.oauthbearer.method'],
  ['KAFKA_SASL_OAUTHBEARER_CLIENT_ID', 'sasl.oauthbearer.client.id'],
  ['KAFKA_SASL_OAUTHBEARER_CLIENT_SECRET', 'sasl.oauthbearer.client.secret', true],
  ['KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL', 'sasl.oauthbearer.token.endpoint.url'],
  ['KAFKA_SASL_OAUTHBEARER_SCOPE', 'sasl.oauthbearer.scope'],
];

/** Names of the security settings, for docs and `weir env`. */
export const KAFKA_SECURITY_KEYS = MAP.map(([env]) => env);
export const SECRET_KEYS = new Set(MAP.filter(([, , secret]) => secret).map(([env]) => env));

export function kafkaSettings(values: Record<string, string | undefined>): KafkaSettings {
  const bootstrapServers = values.KAFKA_BOOTSTRAP_SERVERS;
  if (!bootstrapServers) throw new Error('KAFKA_BOOTSTRAP_SERVERS is not set; run `weir stack up` or set it');
  const extra: Record<string, string> = {};
  for (const [env, property, secret] of MAP) {
    const file = secret ? values[`${env}_FILE`] : undefined;
    const v = file ? readFileSync(file, 'utf8').trim() : values[env];
    if (v) extra[property] = v;
    if (v && secret) registerSecrets([v]);
  }
  return { bootstrapServers, extra };
}
