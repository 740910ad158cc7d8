// Lint: typescript-eslint's recommended rules plus the architecture of DESIGN.md §2 — each folder
// under src/ may not import the folders listed for it. Only the CLI (and the tests) drive src/stack.
import tseslint from 'typescript-eslint';

const FORBIDDEN = {
  topology: ['runtime', 'kafka', 'sinks', 'cli', 'admin', 'retry', 'ratelimit', 'stack'],
  schema: ['runtime', 'sinks', 'cli', 'admin', 'stack'],
  kafka: ['topology', 'sinks', 'cli', 'runtime', 'admin', 'stack'],
  runtime: ['cli', 'sinks', 'stack'],
  retry: ['cli', 'admin', 'stack'],
  sinks: ['cli', 'runtime', 'admin', 'stack'],
  ratelimit: ['topology', 'schema', 'kafka', 'runtime', 'retry', 'sinks', 'admin', 'cli', 'stack'],
  admin: ['cli', 'stack'],
  observability: ['topology', 'schema', 'kafka', 'runtime', 'retry', 'sinks', 'ratelimit', 'admin', 'cli', 'config', 'stack'],
  config: ['topology', 'schema', 'kafka', 'runtime', 'retry', 'sinks', 'ratelimit', 'admin', 'cli', 'stack'],
  testing: ['cli', 'stack'],
  // The web console: admin/'s actions and views, never the workers' internals.
  console: ['runtime', 'sinks', 'cli', 'stack', 'testing'],
  // The local stack (weir stack up|down|status): the Kafka client through src/kafka, settings through src/config.
  stack: ['topology', 'schema', 'runtime', 'retry', 'sinks', 'ratelimit', 'admin', 'cli', 'testing', 'observability'],
};

const CLIENT = { name: '@confluentinc/kafka-javascript', message: 'Only src/kafka talks to the Kafka client.' };
const FOLDERS = [...Object.keys(FORBIDDEN), 'cli'];

const boundaries = FOLDERS.map((folder) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: folder === 'kafka' ? [] : [CLIENT],
        patterns: (FORBIDDEN[folder] ?? []).map((b) => ({
          // runtime/api.ts (the transform API) and sinks/sink.ts (the sink contract) are open to all.
          group: [`**/${b}/**/*.ts`, ...(b === 'runtime' ? ['!**/runtime/api.ts'] : []), ...(b === 'sinks' ? ['!**/sinks/sink.ts'] : [])],
          message: `src/${folder} must not import src/${b} (DESIGN.md §2).`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/**', '.weir/**', 'scratch/**', 'dist/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...boundaries,
);
