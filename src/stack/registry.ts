// Apicurio Registry 3 with its Confluent-compatible API (/apis/ccompat/v7), storing schemas in the
// local Postgres (database weir_registry) so they survive restarts. The global BACKWARD rule matters:
// @kafkajs/confluent-schema-registry reads /config/{subject} before registering.
import { ensureApicurio } from './artifacts.ts';
import { requireJava } from './java.ts';
import type { ManagedService } from './managed.ts';
import type { StackPaths } from './paths.ts';
import { registryConfig } from './probes.ts';
import { portOpen, StackError, startDetached } from './proc.ts';
import { APICURIO_MIN_JAVA, APICURIO_VERSION, ports } from './versions.ts';

const MARKER = '-Dweir.stack=registry';
export const REGISTRY_DATABASE = 'weir_registry';
export const registryUrl = () => `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`;

export function registryService(p: StackPaths, databaseUrl: string, progress: (line: string) => void = () => undefined): ManagedService {
  const log = p.log('registry');
  return {
    name: 'registry',
    endpoint: registryUrl(),
    port: ports.registry,
    marker: MARKER,
    log,
    probe: () => registryConfig(registryUrl()),
    readyTimeoutMs: 120_000,
    portHint: 'stop it or choose another port with WEIR_REGISTRY_PORT',
    start: async () => {
      if (await portOpen(ports.registryManagement)) {
        throw new StackError(
          `port ${ports.registryManagement} (the registry's management interface) is in use; stop that program or set WEIR_REGISTRY_MANAGEMENT_PORT`,
        );
      }
      const jdk = requireJava(APICURIO_MIN_JAVA, `Apicurio Registry ${APICURIO_VERSION}`);
      const home = ensureApicurio({ cache: p.cache, log: p.log('maven'), progress });
      const db = new URL(databaseUrl);
      const env = {
        APICURIO_STORAGE_KIND: 'sql',
        APICURIO_STORAGE_SQL_KIND: 'postgresql',
        APICURIO_DATASOURCE_URL: `jdbc:postgresql://${db.hostname}:${db.port || '5432'}/${REGISTRY_DATABASE}`,
        APICURIO_DATASOURCE_USERNAME: decodeURIComponent(db.username || 'postgres'),
        APICURIO_DATASOURCE_PASSWORD: decodeURIComponent(db.password || 'unused'),
        APICURIO_RULES_GLOBAL_COMPATIBILITY: 'BACKWARD',
        QUARKUS_HTTP_HOST: '127.0.0.1',
        QUARKUS_HTTP_PORT: String(ports.registry),
        // The management interface is built in (quarkus.management.enabled is fixed at build time and
        // ignored here): without these it takes 0.0.0.0:9000, and a second registry, or anything
        // else on port 9000, makes the registry exit with "Address already in use".
        QUARKUS_MANAGEMENT_HOST: '127.0.0.1',
        QUARKUS_MANAGEMENT_PORT: String(ports.registryManagement),
        QUARKUS_LOG_CONSOLE_JSON: 'false',
      };
      return startDetached(jdk.java, ['-Xms128m', '-Xmx512m', MARKER, '-jar', 'quarkus-run.jar'], { cwd: home, env, logFile: log });
    },
  };
}
