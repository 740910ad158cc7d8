// One place for the versions and ports of the local stack; docker-compose.yml pins the same ones.
// Ports can be moved with environment variables (read when this module loads).
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

export const KAFKA_VERSION = '4.2.2';
export const APICURIO_VERSION = '3.3.3';
export const LOG4J_VERSION = '2.25.2';
export const SLF4J_VERSION = '2.0.17';

export const KAFKA_MIN_JAVA = 17;
/** Apicurio Registry 3.3 is compiled for Java 21. */
export const APICURIO_MIN_JAVA = 21;

/** A SCRAM-SHA-512 user on a SASL_PLAINTEXT listener, to test secured-cluster settings. */
export const SCRAM = { username: 'weir', password: 'weir-scram-secret', mechanism: 'SCRAM-SHA-512' } as const;

export const ports = {
  kafka: port('WEIR_KAFKA_PORT', 19092),
  kafkaScram: port('WEIR_KAFKA_SCRAM_PORT', 19094),
  kafkaController: port('WEIR_KAFKA_CONTROLLER_PORT', 19093),
  registry: port('WEIR_REGISTRY_PORT', 18081),
  /** Apicurio's Quarkus management interface (health, metrics): always on, 0.0.0.0:9000 unless moved. */
  registryManagement: port('WEIR_REGISTRY_MANAGEMENT_PORT', 18082),
  postgres: 5432,
  redis: 6379,
};

/**
 * Ports of Kafka node `id` (1-based) of a `weir stack up --brokers 3` cluster: node 1 has the ports
 * above, each further node the same ones plus 10 (defaults: 19102/19103/19104, 19112/19113/19114).
 */
export const KAFKA_NODE_PORT_STEP = 10;
export function kafkaNodePorts(id: number): { kafka: number; kafkaController: number; kafkaScram: number } {
  const shift = (id - 1) * KAFKA_NODE_PORT_STEP;
  return { kafka: ports.kafka + shift, kafkaController: ports.kafkaController + shift, kafkaScram: ports.kafkaScram + shift };
}
