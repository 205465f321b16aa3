#!/usr/bin/env node
// The headless entry point (package bin `llm-cache-proxy`): the same core as
// the menu-bar app, for machines without Electron and for people who prefer a
// terminal.
import { VERSION } from './core/version.js';
import { parseServeArgs, SERVE_USAGE } from './cli/serve-args.js';
import { runServe } from './cli/serve-command.js';
import { runSnippetCommand } from './cli/snippet-command.js';

async function main(argv: string[]): Promise<number> {
  const out = (text: string) => void process.stdout.write(text);
  const err = (text: string) => void process.stderr.write(text);
  if (argv[0] === 'snippet') return runSnippetCommand(argv.slice(1), { stdout: out, stderr: err, env: process.env });
  if (argv[0] === 'serve') argv = argv.slice(1);

  const parsed = parseServeArgs(argv);
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

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`llm-cache-proxy: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
