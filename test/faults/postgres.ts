// A private Postgres server of the fault suite (initdb into its own directory, pg_ctl on its own
// port). The suite runs two: the sink's, which the postgres scenario crashes, and the registry's
// storage, which no scenario touches — a registry whose storage is the crashed database kept
// answering 500 for a minute after Postgres came back (Apicurio's pool held dead connections),
// and workers started then refused to run: a fault of the harness's making, not the pipeline's.
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { postgresSelect1 } from '../../src/stack/probes.ts';
import { waitUntil } from '../../src/stack/proc.ts';

/** Postgres refuses to run as root: as root, its programs run as the `postgres` user. */
function asPostgres(args: string[]): [string, string[]] {
  return userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0]!, args.slice(1)];
}

function postgresBin(): string {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    const root = '/usr/lib/postgresql';
    const v = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a))[0] : undefined;
    if (!v)
      throw new Error('the fault suite runs its own Postgres server and needs its programs (initdb, pg_ctl): apt-get install postgresql');
    return join(root, v, 'bin');
  }
}

export class PrivatePostgres {
  private readonly bin = postgresBin();
  /** As the test process (root namespace) reaches it. */
  readonly url: string;

  constructor(
    private readonly dataDir: string,
    readonly port: number,
    private readonly logFile: string,
  ) {
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  /** A fresh cluster that also trusts `subnet` (workers connect from their namespaces through DNAT). */
  init(subnet: string): void {
    mkdirSync(this.dataDir, { recursive: true });
    if (userInfo().uid === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
      chownSync(this.dataDir, id('-u'), id('-g'));
    }
    const [cmd, args] = asPostgres([join(this.bin, 'initdb'), '-D', this.dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync']);
    execFileSync(cmd, args, { stdio: 'ignore' });
    appendFileSync(join(this.dataDir, 'pg_hba.conf'), `host all all ${subnet} trust\n`);
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dataDir} -c fsync=off -c max_connections=200`;
    const [cmd, args] = asPostgres([join(this.bin, 'pg_ctl'), '-D', this.dataDir, '-l', this.logFile, '-w', '-o', options, 'start']);
    execFileSync(cmd, args, { stdio: 'ignore' });
    await waitUntil(() => postgresSelect1(this.url), {
      what: `the fault suite's Postgres on ${this.port}`,
      timeoutMs: 60_000,
      logFile: this.logFile,
    });
  }

  /** Immediate: like a crash, every session cut, recovery from the WAL on start. */
  stop(mode: 'immediate' | 'fast' = 'immediate'): void {
    const [cmd, args] = asPostgres([join(this.bin, 'pg_ctl'), '-D', this.dataDir, '-m', mode, '-w', 'stop']);
    execFileSync(cmd, args, { stdio: 'ignore' });
  }
}
