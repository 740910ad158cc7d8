// Connection options for @platformatic/kafka's Admin (the admin calls librdkafka's binding does not
// expose: DescribeConfigs, IncrementalAlterConfigs), derived from the same librdkafka properties the
// workers use, so TLS (with client certificates), SASL PLAIN/SCRAM and OAUTHBEARER (a static token
// or the OIDC client-credentials flow) work the same for both clients.
import { readFileSync } from 'node:fs';
import type { AdminOptions, SASLOptions } from '@platformatic/kafka';
import type { KafkaConnection } from './client-config.ts';

/** Every admin request, and the connection, gives up after this long. */
export const ADMIN_TIMEOUT_MS = 10_000;

type Properties = Record<string, string | number | boolean>;
const text = (x: Properties, key: string) => (x[key] === undefined ? undefined : String(x[key]));

function tlsOptions(x: Properties): AdminOptions['tls'] {
  const file = (key: string) => {
    const path = text(x, key);
    return path ? readFileSync(path) : undefined;
  };
  const ca = file('ssl.ca.location');
  const cert = file('ssl.certificate.location');
  const key = file('ssl.key.location');
  const passphrase = text(x, 'ssl.key.password');
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), ...(passphrase ? { passphrase } : {}) };
}

/** The OIDC client-credentials grant librdkafka's `sasl.oauthbearer.method=oidc` performs. */
function oidcToken(x: Properties): () => Promise<string> {
  return async () => {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    const scope = text(x, 'sasl.oauthbearer.scope');
    if (scope) body.set('scope', scope);
    const basic = Buffer.from(`${text(x, 'sasl.oauthbearer.client.id')}:${text(x, 'sasl.oauthbearer.client.secret')}`).toString('base64');
    const endpoint = text(x, 'sasl.oauthbearer.token.endpoint.url')!;
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`OAUTHBEARER token endpoint ${new URL(endpoint).origin} answered ${res.status}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };
}

function saslOptions(x: Properties): SASLOptions {
  const mechanism = (text(x, 'sasl.mechanisms') ?? 'PLAIN').toUpperCase() as SASLOptions['mechanism'];
  if (mechanism === 'OAUTHBEARER') {
    const token = text(x, 'sasl.oauthbearer.token');
    return { mechanism, token: token ?? oidcToken(x) };
  }
  return { mechanism, username: text(x, 'sasl.username') ?? '', password: text(x, 'sasl.password') ?? '' };
}

export function bootstrapBrokers(conn: KafkaConnection): string[] {
  return conn.bootstrapServers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function adminOptions(conn: KafkaConnection, timeoutMs = conn.timeoutMs ?? ADMIN_TIMEOUT_MS): AdminOptions {
  const x = conn.extra ?? {};
  const protocol = (text(x, 'security.protocol') ?? 'PLAINTEXT').toUpperCase();
  return {
    clientId: `${conn.clientId ?? 'weir'}-admin`,
    bootstrapBrokers: bootstrapBrokers(conn),
    connectTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    timeout: timeoutMs,
    // One attempt: deploy is rerun by a person, who should see the reason at once.
    retries: 0,
    ...(protocol === 'SSL' || protocol === 'SASL_SSL' ? { tls: tlsOptions(x) } : {}),
    ...(protocol.startsWith('SASL') ? { sasl: saslOptions(x) } : {}),
  };
}
