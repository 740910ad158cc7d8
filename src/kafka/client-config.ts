// Base librdkafka configuration shared by producers, consumers and admin clients.
import type { GlobalConfig } from '@confluentinc/kafka-javascript';
import type { Logger } from '../observability/logger.ts';

export interface KafkaConnection {
  bootstrapServers: string;
  clientId?: string;
  /** Extra librdkafka properties (security settings and the like), applied last. */
  extra?: Record<string, string | number | boolean>;
  /** How long a command waits for the cluster's answer before it fails naming the servers (WEIR_CONNECT_TIMEOUT). */
  timeoutMs?: number;
}

export function baseConfig(conn: KafkaConnection, clientIdSuffix: string): GlobalConfig {
  return {
    'bootstrap.servers': conn.bootstrapServers,
    'client.id': `${conn.clientId ?? 'weir'}-${clientIdSuffix}`,
    // Route librdkafka's own logs through pino instead of stderr.
    event_cb: true,
    ...(conn.extra ?? {}),
  } as GlobalConfig;
}

interface LogEvent {
  severity: number;
  fac: string;
  message: string;
}

interface EmitsLogs {
  on(event: 'event.log', listener: (e: LogEvent) => void): unknown;
}

/** Forwards librdkafka log lines (syslog severities) to pino. */
export function forwardClientLogs(client: unknown, logger: Logger | undefined): void {
  if (!logger) return;
  (client as EmitsLogs).on('event.log', (e: LogEvent) => {
    const fields = { facility: e.fac };
    if (e.severity <= 3) logger.error(fields, e.message);
    else if (e.severity === 4) logger.warn(fields, e.message);
    else logger.debug(fields, e.message);
  });
}
