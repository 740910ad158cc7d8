// Connections for commands, from the environment or .weir/stack.env: one place, so every command
// reads the same settings (security included) and names what is missing.
import { loadConnectionSettings, readConnectionValues } from '../config/connection.ts';
import { kafkaSettings } from '../config/kafka.ts';
import type { KafkaConnection } from '../kafka/client-config.ts';
import { RegistryClient } from '../schema/registry.ts';
import { parseDuration } from '../topology/spec/index.ts';

/** The setting that bounds how long a command waits for a service's first answer. */
export const CONNECT_TIMEOUT_KEY = 'WEIR_CONNECT_TIMEOUT';
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/**
 * How long a command (and `weir run` before it first joins) waits for the cluster, the registry or
 * the database before it fails naming the address and the setting: WEIR_CONNECT_TIMEOUT, a
 * duration from 1s to 5m, default 15s. A worker that has started rides out outages regardless.
 */
export function connectTimeoutMs(): number {
  const text = readConnectionValues()[CONNECT_TIMEOUT_KEY];
  if (text === undefined) return DEFAULT_CONNECT_TIMEOUT_MS;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1_000 || ms > 300_000)
    throw new Error(`${CONNECT_TIMEOUT_KEY} expects a duration from 1s to 5m, like 15s; got ${JSON.stringify(text)}`);
  return ms;
}

export function kafka(clientId = 'weir'): KafkaConnection {
  const s = kafkaSettings(readConnectionValues());
  return { bootstrapServers: s.bootstrapServers, clientId, extra: s.extra, timeoutMs: connectTimeoutMs() };
}

export function registry(): RegistryClient {
  return new RegistryClient(loadConnectionSettings(['SCHEMA_REGISTRY_URL']).SCHEMA_REGISTRY_URL, {
    deadlineMs: connectTimeoutMs(),
    setting: 'SCHEMA_REGISTRY_URL',
  });
}

export function databaseUrl(required = true): string | undefined {
  const v = readConnectionValues().DATABASE_URL;
  if (!v && required) return loadConnectionSettings(['DATABASE_URL']).DATABASE_URL;
  return v;
}

export function redisUrl(): string | undefined {
  return readConnectionValues().REDIS_URL;
}
