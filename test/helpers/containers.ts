// Last resort for integration tests: the same components as docker-compose.yml, in containers.
// Host ports are bound 1:1 so Kafka can advertise an address the host reaches.
import { GenericContainer, Network, Wait, type StartedTestContainer } from 'testcontainers';
import type { ConnectionSettings } from '../../src/config/connection.ts';
import { APICURIO_VERSION, KAFKA_VERSION, ports } from '../../src/stack/versions.ts';

export async function startContainers(): Promise<{ settings: ConnectionSettings; stop: () => Promise<void> }> {
  const network = await new Network().start();
  const started: StartedTestContainer[] = [];
  const postgres = await new GenericContainer('postgres:15')
    .withNetwork(network)
    .withNetworkAliases('postgres')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'weir' })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  started.push(postgres);
  await postgres.exec(['psql', '-U', 'postgres', '-c', 'CREATE DATABASE weir_registry']);
  const redis = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  started.push(redis);
  const kafka = await new GenericContainer(`apache/kafka:${KAFKA_VERSION}`)
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${ports.kafka},CONTROLLER://0.0.0.0:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${ports.kafka}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withExposedPorts({ container: ports.kafka, host: ports.kafka })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  started.push(kafka);
  const registry = await new GenericContainer(`apicurio/apicurio-registry:${APICURIO_VERSION}`)
    .withNetwork(network)
    .withEnvironment({
      APICURIO_STORAGE_KIND: 'sql',
      APICURIO_STORAGE_SQL_KIND: 'postgresql',
      APICURIO_DATASOURCE_URL: 'jdbc:postgresql://postgres:5432/weir_registry',
      APICURIO_DATASOURCE_USERNAME: 'postgres',
      APICURIO_DATASOURCE_PASSWORD: 'unused',
      APICURIO_RULES_GLOBAL_COMPATIBILITY: 'BACKWARD',
    })
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/config', 8080))
    .start();
  started.push(registry);
  const settings: ConnectionSettings = {
    KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${ports.kafka}`,
    SCHEMA_REGISTRY_URL: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
    DATABASE_URL: `postgres://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/weir`,
    REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
  };
  return {
    settings,
    stop: async () => {
      for (const c of started.reverse()) await c.stop();
      await network.stop();
    },
  };
}
