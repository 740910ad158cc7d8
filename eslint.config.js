// Lint: typescript-eslint's recommended rules plus the architecture of DESIGN.md §2 — each folder
// under src/ may not import the folders listed for it.
import tseslint from 'typescript-eslint';

const FORBIDDEN = {
  topology: ['runtime', 'kafka', 'sinks', 'cli', 'admin', 'retry', 'ratelimit'],
  schema: ['runtime', 'sinks', 'cli', 'admin'],
  kafka: ['topology', 'sinks', 'cli', 'runtime', 'admin'],
  runtime: ['cli', 'sinks'],
  retry: ['cli', 'admin'],
  sinks: ['cli', 'runtime', 'admin'],
  ratelimit: ['topology', 'schema', 'kafka', 'runtime', 'retry', 'sinks', 'admin', 'cli'],
  admin: ['cli'],
  observability: ['topology', 'schema', 'kafka', 'runtime', 'retry', 'sinks', 'ratelimit', 'admin', 'cli', 'config'],
  config: ['topology', 'schema', 'kafka', 'runtime', 'retry', 'sinks', 'ratelimit', 'admin', 'cli'],
  testing: ['cli'],
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
