// The services of the integration run (see global-setup.ts), and small helpers around them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { ConnectionSettings } from '../../src/config/connection.ts';
import type { KafkaConnection } from '../../src/kafka/client-config.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    services: ConnectionSettings;
    /** A SASL/SCRAM listener of the same cluster and its user (WEIR_SCRAM_*). */
    scram: Record<string, string>;
  }
}

export function scram(): { bootstrap: string; username: string; password: string; mechanism: string } {
  const s = inject('scram');
  if (!s.WEIR_SCRAM_BOOTSTRAP_SERVERS)
    throw new Error(
      'no SCRAM listener: set WEIR_SCRAM_BOOTSTRAP_SERVERS, WEIR_SCRAM_USERNAME, WEIR_SCRAM_PASSWORD, WEIR_SCRAM_MECHANISM (the local stack and docker-compose.yml provide one)',
    );
  return {
    bootstrap: s.WEIR_SCRAM_BOOTSTRAP_SERVERS,
    username: s.WEIR_SCRAM_USERNAME!,
    password: s.WEIR_SCRAM_PASSWORD!,
    mechanism: s.WEIR_SCRAM_MECHANISM ?? 'SCRAM-SHA-512',
  };
}

/** Environment for weir on the SCRAM listener, the password in a file (as operators are told to). */
export function scramEnv(password = scram().password): Record<string, string> {
  const s = scram();
  const file = join(mkdtempSync(join(tmpdir(), 'weir-secret-')), 'kafka-password');
  writeFileSync(file, `${password}\n`);
  return {
    KAFKA_BOOTSTRAP_SERVERS: s.bootstrap,
    KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
    KAFKA_SASL_MECHANISM: s.mechanism,
    KAFKA_SASL_USERNAME: s.username,
    KAFKA_SASL_PASSWORD_FILE: file,
  };
}

export function services(): ConnectionSettings {
  return inject('services');
}

export function kafkaConnection(clientId = 'weir-test'): KafkaConnection {
  return { bootstrapServers: services().KAFKA_BOOTSTRAP_SERVERS, clientId };
}

let counter = 0;
/** A name no other test or earlier run uses: for topics, groups, transactional ids, tables. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${process.pid}-${counter}`;
}
