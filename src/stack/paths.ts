// Where the local stack keeps things. Per project (the team's repository, found from the working
// directory like the connection settings): data, logs, process state under `<project>/.weir/stack`
// and the settings in `<project>/.weir/stack.env`. Per user: the downloaded Kafka and Apicurio
// artifacts, which never change for a version, in `~/.cache/weir/stack` — a second project costs
// no download and no 200 MB copy.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { envFilePath, projectDir } from '../config/connection.ts';

export interface StackPaths {
  /** The project the stack belongs to. */
  project: string;
  /** Data, logs and state of this project's stack. */
  dir: string;
  /** Versioned artifacts, shared by every project of the user. */
  cache: string;
  logs: string;
  state: string;
  kafkaHome: string;
  redisHome: string;
  envFile: string;
  log: (service: string) => string;
}

/** $WEIR_STACK_CACHE, else $XDG_CACHE_HOME/weir/stack, else ~/.cache/weir/stack. */
export function stackCacheDir(env = process.env): string {
  if (env.WEIR_STACK_CACHE) return resolve(env.WEIR_STACK_CACHE);
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'weir', 'stack');
}

/** The stack of the project around `from` ($WEIR_STACK_DIR moves its data, logs and state). */
export function stackPaths(from = process.cwd(), env = process.env): StackPaths {
  const project = projectDir(from);
  const dir = env.WEIR_STACK_DIR ? resolve(env.WEIR_STACK_DIR) : join(project, '.weir', 'stack');
  const logs = join(dir, 'logs');
  return {
    project,
    dir,
    cache: stackCacheDir(env),
    logs,
    state: join(dir, 'state.json'),
    kafkaHome: join(dir, 'kafka'),
    redisHome: join(dir, 'redis'),
    envFile: envFilePath(from, env),
    log: (service) => join(logs, `${service}.log`),
  };
}
