// Lint is about correctness and the architecture's rules: the core never
// loads Electron at run time (it must run under plain Node, headless), and
// its folders depend on each other in one direction only.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * What each folder of main/core/ sits below, from the bottom up: wire/ (the
 * status API's and the events' shapes) imports nothing; rewrite/ and wait/
 * only wire/; backends/ and diagnostics/ stand side by side; settings/ and
 * snippet/ read the backends; proxy/ uses all of those; warm/ (warm start)
 * stands beside proxy/ on the backends, and neither knows the other; ui/ is
 * mounted by host/, which builds the proxy with its backend session and warm start; the app's
 * controller/ (with menu/ and autostart/) sits on top.
 */
const ABOVE_PROXY = ['ui', 'host', 'menu', 'controller', 'autostart'];
const LAYERS = {
  wire: ['rewrite', 'wait', 'diagnostics', 'backends', 'snippet', 'settings', 'proxy', 'warm', ...ABOVE_PROXY],
  rewrite: ['wait', 'diagnostics', 'backends', 'snippet', 'settings', 'proxy', 'warm', ...ABOVE_PROXY],
  wait: ['rewrite', 'diagnostics', 'backends', 'snippet', 'settings', 'proxy', 'warm', ...ABOVE_PROXY],
  diagnostics: ['wait', 'backends', 'snippet', 'settings', 'proxy', 'warm', ...ABOVE_PROXY],
  backends: ['rewrite', 'wait', 'diagnostics', 'snippet', 'settings', 'proxy', 'warm', ...ABOVE_PROXY],
  snippet: ['rewrite', 'wait', 'settings', 'proxy', 'warm', ...ABOVE_PROXY],
  settings: ['wait', 'diagnostics', 'proxy', 'warm', ...ABOVE_PROXY],
  proxy: ['snippet', 'warm', ...ABOVE_PROXY],
  warm: ['rewrite', 'wait', 'diagnostics', 'snippet', 'proxy', ...ABOVE_PROXY],
  ui: ['host', 'menu', 'controller', 'autostart'],
  host: ['menu', 'controller', 'autostart'],
  menu: ['proxy', 'ui', 'host', 'controller', 'autostart'],
  autostart: ['proxy', 'ui', 'host', 'controller'],
};

/** The core's one hard rule (no Electron at run time) plus the folders `forbidden` here. */
function coreImports(forbidden) {
  return {
    paths: [
      { name: 'electron', message: 'The core runs without Electron; use `import type` or move this to main/app/.', allowTypeImports: true },
      { name: 'electron-store', message: 'electron-store loads Electron; the core uses conf.', allowTypeImports: true },
    ],
    patterns: [
      { group: ['**/app/*', '../app/**'], message: 'The core must not depend on the Electron glue.', allowTypeImports: true },
      ...forbidden.map((folder) => ({
        group: [`../${folder}/*`, `**/core/${folder}/*`],
        message: `Dependencies run one way: this folder sits below ${folder}/ (see LAYERS in eslint.config.js).`,
      })),
    ],
  };
}

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
    rules: { '@typescript-eslint/no-restricted-imports': ['error', coreImports([])] },
  },
  // Dependencies run one way: each folder of the core may not import the folders above it.
  ...Object.entries(LAYERS).map(([folder, above]) => ({
    files: [`main/core/${folder}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', coreImports(above)] },
  })),
  {
    // The CLI is a host of its own: it runs the proxy through host/, never through the app's controller.
    files: ['main/cli.ts', 'main/cli/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', coreImports(['controller', 'menu', 'autostart'])] },
  },
);
