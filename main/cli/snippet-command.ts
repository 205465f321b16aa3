// `llm-cache-proxy snippet`: prints the `claudel` shell function, with the
// settings file's values unless flags say otherwise.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { openCliSettings } from '../core/settings/cli-settings.js';
import { defaultConfigDir } from '../core/settings/paths.js';
import { settingsFromFlags } from '../core/settings/flags.js';
import { claudelSnippet } from '../core/snippet/claudel.js';
import { fetchBackendWindow } from '../core/snippet/backend-window.js';
import { chooseWindow } from '../core/backends/model-window.js';
import { windowWarning } from '../core/snippet/context-window.js';
import type { Shell } from '../core/snippet/shells.js';
import { SHELLS, isShell, resolveShell } from '../core/snippet/shells.js';

export interface SnippetCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

const COMMAND = 'llm-cache-proxy snippet';

function usage(configDir: string): string {
  return `Usage: ${COMMAND} [--shell zsh|bash|fish] [--bare|--no-bare] [--model M] [--subagent-model M] [--port P] [--target URL] [--context-tokens N]

Prints a shell function, claudel, that runs Claude Code on your local model
through the proxy. Defaults come from the settings file in
${configDir}

  --shell zsh|bash|fish  shell to write it for (default: settings, else $SHELL)
  --bare, --no-bare      run claude with --bare: a far smaller prompt, faster on a local model
  --model M              the local model for every Claude Code tier and subagents
  --subagent-model M     another local model for subagents, so they keep their own
                         cache instead of evicting the main conversation's
  --port P               the port the proxy listens on
  --target URL           the backend to ask for the model's context window (as the proxy's --target)
  --context-tokens N     the model's context window, used when the backend does not report it
                         (Ollama: the model must be loaded; llama-server: /props)
  -h, --help             show this help

Install:  ${COMMAND} >> ~/.zshrc                    (bash: ~/.bashrc)
          ${COMMAND} --shell fish > ~/.config/fish/functions/claudel.fish
`;
}

const OPTIONS = {
  shell: { type: 'string' },
  bare: { type: 'boolean' },
  'no-bare': { type: 'boolean' },
  model: { type: 'string' },
  'subagent-model': { type: 'string' },
  port: { type: 'string' },
  target: { type: 'string' },
  'context-tokens': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

function parse(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false, tokens: true });
  } catch (error) {
    // Node's messages run on with advice about `--`; the first sentence is the point.
    throw new UsageError((error as Error).message.split(/\.\s/)[0] ?? String(error));
  }
  const { values, tokens } = parsed;
  if (values.shell !== undefined && !isShell(values.shell)) {
    throw new UsageError(`--shell must be one of ${SHELLS.join(', ')}, not "${values.shell}"`);
  }
  // Node 20.11 has no allowNegative; the last of --bare / --no-bare wins, as in most CLIs.
  const bareFlags = tokens.flatMap((token) => (token.kind === 'option' && (token.name === 'bare' || token.name === 'no-bare') ? [token.name] : []));
  const lastBareFlag = bareFlags.at(-1);
  const bare = lastBareFlag === undefined ? undefined : lastBareFlag === 'bare';
  return { help: values.help === true, shell: values.shell as Shell | undefined, bare, model: values.model, subagentModel: values['subagent-model'], port: values.port, target: values.target, contextTokens: values['context-tokens'] };
}

export async function runSnippetCommand(argv: string[], io: SnippetCommandIo, fetchFn: typeof fetch = globalThis.fetch): Promise<number> {
  const configDir = defaultConfigDir(process.platform, io.env, os.homedir());
  let flags: ReturnType<typeof parse>;
  try {
    flags = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`${COMMAND}: ${error.message} (see --help)\n`);
    return 2;
  }
  if (flags.help) {
    io.stdout(usage(configDir));
    return 0;
  }

  let opened: ReturnType<typeof openCliSettings>;
  try {
    opened = openCliSettings(configDir);
  } catch (error) {
    io.stderr(`${COMMAND}: settings file: ${(error as Error).message}\n`);
    return 1;
  }
  if (opened.recovered) {
    io.stderr(`${COMMAND}: ${opened.recovered.reason} It was moved to ${opened.recovered.backupPath}; using defaults.\n`);
  }

  const result = settingsFromFlags(opened.store.store, { bare: flags.bare, model: flags.model, 'subagent-model': flags.subagentModel, port: flags.port, target: flags.target, 'context-tokens': flags.contextTokens });
  if (!result.ok) {
    io.stderr(result.errors.map((error) => `${COMMAND}: --${error.field}: ${error.message}\n`).join(''));
    return 2;
  }
  const { settings } = result;
  const window = chooseWindow(await fetchBackendWindow(settings.target, settings.model, { fetch: fetchFn }), settings.contextTokens);
  const warning = window && windowWarning(window, settings.model, settings.bare);
  if (warning) io.stderr(`${COMMAND}: ${warning}\n`);
  io.stdout(claudelSnippet({
    shell: flags.shell ?? resolveShell(settings.shell, io.env['SHELL']),
    port: settings.port,
    host: settings.host,
    model: settings.model,
    bare: settings.bare,
    subagentModel: settings.subagentModel,
    window,
  }));
  return 0;
}
