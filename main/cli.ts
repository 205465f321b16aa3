#!/usr/bin/env node
// The headless entry point (the package bin `llm-cache-proxy`, bin/, starts it): the same core as
// the menu-bar app, for machines without Electron and for people who prefer a
// terminal.
import { VERSION } from './core/version.js';
import { BUILTIN_DEFAULTS, parseServeArgs, SERVE_USAGE, snippetSettingsFrom, type ServeDefaults } from './cli/serve-args.js';
import os from 'node:os';
import { openCliSettings } from './core/settings/cli-settings.js';
import { defaultConfigDir } from './core/settings/paths.js';
import { proxyOptionsFromSettings } from './core/proxy/options-from-settings.js';
import { runServe } from './cli/serve-command.js';
import { runSnippetCommand } from './cli/snippet-command.js';
import { runForgetCommand } from './cli/forget-command.js';

async function main(argv: string[]): Promise<number> {
  const out = (text: string) => void process.stdout.write(text);
  const err = (text: string) => void process.stderr.write(text);
  if (argv[0] === 'snippet') return runSnippetCommand(argv.slice(1), { stdout: out, stderr: err, env: process.env });
  if (argv[0] === 'forget') return runForgetCommand(argv.slice(1), defaultConfigDir(process.platform, process.env, os.homedir()), { stdout: out, stderr: err });
  if (argv[0] === 'serve') argv = argv.slice(1);

  const parsed = parseServeArgs(argv, argv.includes('--help') || argv.includes('-h') ? BUILTIN_DEFAULTS : settingsFileDefaults(err), {
    // The environment keeps a secret off the command line, where `ps` would show it.
    upstreamAuth: process.env['LLM_CACHE_PROXY_UPSTREAM_AUTH'],
    shellPath: process.env['SHELL'],
    token: process.env['LLM_CACHE_PROXY_TOKEN'],
  });
  switch (parsed.kind) {
    case 'help':
      out(SERVE_USAGE);
      return 0;
    case 'version':
      out(`llm-cache-proxy ${VERSION}\n`);
      return 0;
    case 'error':
      err(`llm-cache-proxy: ${parsed.message}\nRun llm-cache-proxy --help for the options.\n`);
      return 2;
    case 'serve':
      return runServe(parsed.config, {
        stdout: out,
        stderr: err,
        onSignal: (handler) => {
          process.on('SIGINT', handler);
          process.on('SIGTERM', handler);
          return () => {
            process.off('SIGINT', handler);
            process.off('SIGTERM', handler);
          };
        },
      });
  }
}

/** The app's settings file is the CLI's starting point; flags override it. */
function settingsFileDefaults(warn: (text: string) => void): ServeDefaults {
  try {
    const dir = defaultConfigDir(process.platform, process.env, os.homedir());
    const opened = openCliSettings(dir);
    if (opened.recovered) warn(`llm-cache-proxy: ${opened.recovered.reason}; using defaults (old file kept as ${opened.recovered.backupPath})\n`);
    const settings = opened.store.store;
    return {
      proxy: proxyOptionsFromSettings(settings), logLevel: settings.logLevel,
      backend: settings.backend, router: settings.router === 'none' ? null : settings.router, contextTokens: settings.contextTokens,
      model: settings.model, snippet: snippetSettingsFrom(settings, process.env['SHELL']),
      warm: settings.warm, settingsDir: dir,
    };
  } catch (error) {
    // The message says which: a file that cannot be read, or a folder that cannot be written.
    warn(`llm-cache-proxy: settings file: ${(error as Error).message}; using defaults\n`);
    return BUILTIN_DEFAULTS;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`llm-cache-proxy: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
