// Connections for commands, from the environment or .weir/stack.env: one place, so every command
// reads the same settings (security included) and names what is missing.
import { loadConnectionSettings, readConnectionValues } from '../config/connection.ts';
import { kafkaSettings } from '../config/kafka.ts';
import type { KafkaConnection } from '../kafka/client-config.ts';
import { RegistryClient } from '../schema/registry.ts';

export function kafka(clientId = 'weir'): KafkaConnection {
  const s = kafkaSettings(readConnectionValues());
  return { bootstrapServers: s.bootstrapServers, clientId, extra: s.extra };
}

export function registry(): RegistryClient {
  return new RegistryClient(loadConnectionSettings(['SCHEMA_REGISTRY_URL']).SCHEMA_REGISTRY_URL);
}

export function databaseUrl(required = true): string | undefined {
  const v = readConnectionValues().DATABASE_URL;
  if (!v && required) return loadConnectionSettings(['DATABASE_URL']).DATABASE_URL;
  return v;
}

export function redisUrl(): string | undefined {
  return readConnectionValues().REDIS_URL;
}
