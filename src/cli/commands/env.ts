// `weir env`: the connection settings weir will use and where each came from. Passwords are never
// printed: URL passwords and secret settings show as ***.
import { CONNECTION_KEYS, ENV_FILE_RELATIVE, findEnvFile, projectDir, settingsWithSources } from '../../config/connection.ts';
import { KAFKA_SECURITY_KEYS, SECRET_KEYS } from '../../config/kafka.ts';
import { redactSetting } from '../../config/redact.ts';
import { JSON_OPTION, type Command } from '../command.ts';
import { CONNECT_TIMEOUT_KEY } from '../connections.ts';

/** The Kafka security settings, with the `…_FILE` variants of the secret ones. */
const SECURITY_KEYS = KAFKA_SECURITY_KEYS.flatMap((k) => (SECRET_KEYS.has(k) ? [k, `${k}_FILE`] : [k]));

export const envCommand: Command = {
  name: 'env',
  summary: 'show the connection settings in effect and where each came from (environment or .weir/stack.env)',
  options: [JSON_OPTION],
  positionals: [],
  details:
    'Settings come from the environment, else from .weir/stack.env in the project (the nearest folder with a package.json or .git at or above the working directory; $WEIR_ENV_FILE names another file). Kafka security settings and WEIR_CONNECT_TIMEOUT are listed when set. Passwords are shown as ***. Exit 1 when one of the four connection settings is not set.',
  async run(args, io) {
    const file = findEnvFile();
    const fileLabel = process.env.WEIR_ENV_FILE ? '$WEIR_ENV_FILE' : ENV_FILE_RELATIVE;
    const settings = [
      ...settingsWithSources(CONNECTION_KEYS),
      ...settingsWithSources([...SECURITY_KEYS, CONNECT_TIMEOUT_KEY]).filter((s) => s.value !== undefined),
    ];
    const rows = settings.map((s) => ({
      key: s.key,
      value: s.value === undefined ? null : redactSetting(s.key, s.value, (k) => SECRET_KEYS.has(k)),
      source: s.source.kind === 'env-file' ? `${fileLabel} at ${s.source.file}` : s.source.kind,
    }));
    if (args.options.json) io.out(JSON.stringify({ project: projectDir(), envFile: file ?? null, settings: rows }, null, 2));
    else {
      const width = Math.max(24, ...rows.map((r) => r.key.length + 1));
      for (const r of rows) io.out(`${r.key.padEnd(width)} ${r.value === null ? '(not set)' : `${r.value}   (${r.source})`}`);
      if (!file && rows.some((r) => r.value === null))
        io.err(`no ${ENV_FILE_RELATIVE} in ${projectDir()}: \`weir stack up\` starts a local stack and writes one`);
    }
    const connection = rows.filter((r) => (CONNECTION_KEYS as readonly string[]).includes(r.key));
    return connection.every((r) => r.value !== null) ? 0 : 1;
  },
};
