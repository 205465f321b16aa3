// Lint is about correctness and the architecture's one hard rule: the core
// never loads Electron at run time (it must run under plain Node, headless).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'release/', 'node_modules/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['main/core/**/*.ts', 'main/cli.ts', 'main/cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [
          { name: 'electron', message: 'The core runs without Electron; use `import type` or move this to main/app/.', allowTypeImports: true },
          { name: 'electron-store', message: 'electron-store loads Electron; the core uses conf.', allowTypeImports: true },
        ],
        patterns: [{ group: ['**/app/*', '../app/**'], message: 'The core must not depend on the Electron glue.', allowTypeImports: true }],
      }],
    },
  },
);
