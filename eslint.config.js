// One lint configuration for the whole package: type-aware rules stay on, the layers
// core <- store <- services <- api <- cli import only downwards, and the client imports none of them.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** An import of one of these top-level folders of src/, by a relative path from anywhere in another. */
const layers = (names, message, options = {}) => ({
  regex: `^(\\.\\./)+(${names.join('|')})/`,
  message,
  ...options,
});

/** An import of one of these packages (or a file of theirs). */
const packages = (names, message) => ({ regex: `^(${names.join('|')})(/|$)`, message });

const DRIVERS = ['kysely', 'pg', 'better-sqlite3'];

/** What each layer may not import; tests beside the code may reach across to set things up. */
const layering = {
  core: [
    layers(
      ['store', 'services', 'api', 'cli'],
      'core is the bottom layer: it imports nothing of Ramkey above it.',
    ),
    packages(
      [...DRIVERS, 'fastify', 'pino', 'commander'],
      'core is pure: no database, HTTP, logging or CLI package.',
    ),
  ],
  store: [
    layers(['services', 'api', 'cli'], 'store imports only core.'),
    packages(['fastify', 'pino', 'commander'], 'store knows no HTTP, logging or CLI.'),
  ],
  services: [
    layers(['api', 'cli'], 'services import only core and store.'),
    packages(
      [...DRIVERS, 'fastify', 'commander'],
      'services reach the database through the store only, and know no HTTP or CLI.',
    ),
  ],
  api: [
    layers(['store'], 'api goes through services; it may name store types with `import type` only.', {
      allowTypeImports: true,
    }),
    layers(['cli'], 'api does not import the CLI.'),
    packages([...DRIVERS, 'commander'], 'api reaches the database through services only.'),
  ],
  // The forward-auth client is published on its own (ramkey/client) and runs inside other services.
  client: [
    layers(
      ['core', 'store', 'services', 'api', 'cli'],
      "client ships alone: it imports nothing of Ramkey's server.",
    ),
    {
      regex: '^(?!node:|\\.)',
      message: 'client has no runtime dependency: Node built-ins only (frameworks by `import type`).',
      allowTypeImports: true,
    },
  ],
  cli: [
    layers(['store'], 'cli goes through services.'),
    {
      regex: '^(\\.\\./)+api/(?!app\\.js$)',
      message: 'cli imports the api layer only for the app composition (buildApp in api/app.js).',
    },
    packages(DRIVERS, 'cli reaches the database through services only.'),
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'ramkey-data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  ...Object.entries(layering).map(([layer, patterns]) => ({
    files: [`src/${layer}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
  })),
  // The web console (console/, a browser app built by Vite): its own tsconfig gives it the DOM types, which
  // stand in for browser globals (TypeScript, not no-undef, checks names); React's rules of hooks apply.
  {
    files: ['console/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    files: ['console/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(src|test)/',
              message:
                'the console talks to the server over /console/api only: it imports nothing of the server.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
