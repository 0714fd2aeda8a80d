// ESLint 9 flat config: typescript-eslint's recommended rules + house rules. Formatting is Prettier's job
// (eslint-config-prettier turns off the stylistic rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** One logging style in the libraries: the injected pino logger (ROOT_LOGGER from @athena/observability). */
const NEST_LOGGER = {
  name: '@nestjs/common',
  importNames: ['Logger'],
  message:
    'Log through the injected pino logger (@Inject(ROOT_LOGGER) from @athena/observability, then .child({ component })).',
};
/** The application layer is transport-free: only the edge (apps/, libs/http, controllers' adapters) knows Fastify. */
const NO_FASTIFY = [
  { name: 'fastify', message: 'This library is transport-free: take a GatewayCall / plain values, not Fastify types.' },
  {
    name: '@nestjs/platform-fastify',
    message: 'This library is transport-free: take a GatewayCall / plain values, not Fastify types.',
  },
];
const TRANSPORT_FREE_LIBS = [
  'libs/gateway/src/**',
  'libs/sql/src/**',
  'libs/cache/src/**',
  'libs/observability/src/**',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Plain CommonJS scripts (bench/, jest.config.js).
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests poke at untyped JSON answers and driver internals.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': ['error', { paths: [NEST_LOGGER] }],
    },
  },
  {
    files: TRANSPORT_FREE_LIBS,
    rules: {
      'no-restricted-imports': ['error', { paths: [NEST_LOGGER, ...NO_FASTIFY] }],
    },
  },
  {
    // Still on Nest's Logger (it reaches pino through nestjs-pino, so the output is one JSON stream either way):
    // - store/ sits below observability (observability imports store), so it cannot inject ROOT_LOGGER without a cycle;
    // - the driver adapters are built with `new` outside DI (registry, direct connections, custom Supabase, tests):
    //   they need a logger in their options first.
    files: [
      'libs/store/src/control-plane-events.ts',
      'libs/store/src/control-plane.service.ts',
      'libs/drivers/src/postgres/postgres.driver.ts',
      'libs/drivers/src/scylla/scylla.driver.ts',
      'libs/drivers/src/supabase/supabase.driver.ts',
    ],
    rules: { 'no-restricted-imports': 'off' },
  },
  prettier,
);
