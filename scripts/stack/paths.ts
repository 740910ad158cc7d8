// Where the local stack keeps its artifacts, data, logs and state (all git-ignored under .weir/).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STACK_DIR = process.env.WEIR_STACK_DIR ? resolve(process.env.WEIR_STACK_DIR) : join(PROJECT_ROOT, '.weir', 'stack');

export const paths = {
  cache: join(STACK_DIR, 'cache'),
  logs: join(STACK_DIR, 'logs'),
  state: join(STACK_DIR, 'state.json'),
  kafkaLibs: (version: string) => join(STACK_DIR, 'cache', `kafka-${version}`, 'libs'),
  kafkaHome: join(STACK_DIR, 'kafka'),
  apicurioHome: (version: string) => join(STACK_DIR, 'cache', `apicurio-registry-${version}`),
  redisHome: join(STACK_DIR, 'redis'),
  envFile: process.env.WEIR_ENV_FILE ? resolve(process.env.WEIR_ENV_FILE) : join(PROJECT_ROOT, '.weir', 'stack.env'),
};

export const logFile = (service: string) => join(paths.logs, `${service}.log`);
