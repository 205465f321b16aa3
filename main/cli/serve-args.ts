// Parses the headless proxy's flags into ProxyOptions: pure, so every flag
// and every error message is tested without starting anything.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import bytes from 'bytes';
import { REWRITE_MODES, type RewriteMode } from '../core/rewrite/types.js';
import { INLINE_SYSTEM_MODES, type InlineSystemMode } from '../core/rewrite/inline-system.js';
import { isLoopbackHost } from '../core/settings/validate.js';
import type { ProxyOptions } from '../core/proxy/types.js';
import type { LogLevel } from '../core/logger.js';
import { DEFAULT_SETTINGS, defaultSettings, type Settings } from '../core/settings/schema.js';
import type { HostConfig, SnippetSettings } from '../core/host/proxy-host.js';
import { resolveShell } from '../core/snippet/shells.js';
import { BACKEND_CHOICES, type BackendChoice } from '../core/backends/types.js';
import { ROUTER_FLAVOURS, WARM_SETTINGS, type RouterFlavour, type WarmSetting } from '../core/wire/types.js';
import { affinityTargets } from '../core/backends/router-affinity.js';
import { proxyOptionsFromSettings } from '../core/proxy/options-from-settings.js';
import { backendFromSettings } from '../core/backends/upstream.js';
import { parseUpstreamAuth } from '../core/backends/upstream.js';

export const SERVE_USAGE = `Usage: llm-cache-proxy [options]
       llm-cache-proxy forget   (delete the prompt warm start remembers on disk)
       llm-cache-proxy snippet [--shell zsh|bash|fish] [--bare|--no-bare] [--model M] [--subagent-model M] [--port P] [--target URL] [--context-tokens N]

Keeps Claude Code's prompt prefix byte-stable so a local model reuses its cache.
Point Claude Code at it: ANTHROPIC_BASE_URL=http://127.0.0.1:11435

Options:
  --port <n>             port to listen on (default 11435; 0 picks a free one)
  --host <addr>          address to listen on (default 127.0.0.1)
  --target <url>         the backend (default http://127.0.0.1:11434)
  --rewrite <mode>       drop | normalize | off (default drop)
  --inline-system <m>    fold | keep: system messages inside the conversation become
                         <system-reminder> text where they stand (default fold;
                         --rewrite off forwards them as sent too)
  --max-body <size>      largest request body, e.g. 64mb (default 64mb)
  --token <t>            require this token (Bearer or x-api-key); needed off loopback.
                         Other local users can read flags with ps: prefer
                         LLM_CACHE_PROXY_TOKEN or "token" in the settings file
  --allow-origin <o>     let this browser origin in (repeatable)
  --allow-host <name>    accept this Host header besides localhost (repeatable)
  --slots <n>            cache slots the backend holds, OLLAMA_NUM_PARALLEL (default 1)
  --side-model <m>       send side calls (session titles and the like) to model m, so they
                         keep out of the main model's cache slot (default: off)
  --no-cache-usage       do not add cache_read_input_tokens to usage
  --upstream-timeout <s> give up on the backend after this many seconds (default: never)
  --backend <kind>       auto | ollama | llama-server | lmstudio | vllm | sglang | router
                         (default auto: told from the target's own endpoints)
  --router <name>        dynamo | sglang | vllm-router | llm-d: the router in front of
                         the engines; adds its affinity header to every call
  --affinity-header <h>  give each conversation's affinity key in this header, or
                         cookie:NAME (repeatable)
  --upstream-auth <h>    the upstream's own auth header, "Name: value" or a bare
                         Bearer token (never logged; LLM_CACHE_PROXY_UPSTREAM_AUTH too)
  --upstream-ca <file>   trust this PEM certificate for an https:// target
  --warm <mode>          auto | on | idle | off: while the backend is idle, re-send the
                         prompt it lost (model reloaded, another client or a side call
                         took its cache) with one output token (default auto: idle on
                         your own engine, off behind a router or with --host off loopback)
  --explain              print one readable cache line per call
  --prompt-excerpts      show the prompt text around a cache miss (in --explain, the
                         status API, the live feed and the Activity view; default off)
  --log-level <level>    debug | info | warn | error (default info)
  --json-logs            log JSON lines instead of text
  -h, --help             show this help
  -v, --version          show the version
`;

/** The host's configuration (proxy, backend, model, window setting, snippet) and how the CLI logs. */
export interface ServeConfig extends HostConfig {
  /** The settings folder, where warm start remembers its prefix between runs; null: remember nothing. */
  readonly settingsDir: string | null;
  readonly logLevel: LogLevel;
  readonly jsonLogs: boolean;
  readonly explain: boolean;
}

/** What the settings file says, before flags override it. */
export interface ServeDefaults {
  readonly proxy: ProxyOptions;
  readonly logLevel: LogLevel;
  readonly backend?: BackendChoice;
  readonly router?: RouterFlavour | null;
  readonly contextTokens?: number;
  /** The model the claudel function names, and what the Activity page's snippet is written with. */
  readonly model?: string;
  readonly snippet?: SnippetSettings;
  readonly warm?: WarmSetting;
  /** The settings folder the defaults came from. */
  readonly settingsDir?: string;
}

/** The snippet's settings from the settings file, its shell resolved against $SHELL. */
export function snippetSettingsFrom(settings: Readonly<Settings>, shellPath: string | undefined): SnippetSettings {
  return { bare: settings.bare, subagentModel: settings.subagentModel, shell: resolveShell(settings.shell, shellPath) };
}

export const BUILTIN_DEFAULTS: ServeDefaults = { proxy: proxyOptionsFromSettings(defaultSettings()), logLevel: 'info', backend: 'auto', router: null };

/** Reads the environment at the edge; tests pass their own. */
export interface ServeEnvironment {
  readonly upstreamAuth?: string | undefined;
  /** LLM_CACHE_PROXY_TOKEN: the token without putting it where `ps` shows it. */
  readonly token?: string | undefined;
  readonly readFile?: (path: string) => string;
  /** `$SHELL`, for the page's snippet when the settings say `auto`. */
  readonly shellPath?: string | undefined;
}

export type ParseOutcome =
  | { readonly kind: 'serve'; readonly config: ServeConfig }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function parsePort(text: string, flag = '--port'): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new Error(`${flag} must be a whole number from 0 to 65535, got "${text}"`);
  return Number(text);
}

export function parseTarget(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--target must be a URL like http://127.0.0.1:11434, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--target must be http:// or https://, got "${text}"`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function parseSize(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : bytes.parse(text);
  if (n === null || !Number.isFinite(n) || n <= 0) throw new Error(`--max-body must be a size like 64mb or 1048576, got "${text}"`);
  return n;
}

function parseSideModel(text: string): string {
  const model = text.trim();
  // An empty value turns off a side-call model the settings file names.
  if (model === '') return '';
  if (/[\s"]/.test(model)) throw new Error(`--side-model must be a model name like qwen3:4b, got "${text}"`);
  return model;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

export function parseServeArgs(argv: readonly string[], defaults: ServeDefaults = BUILTIN_DEFAULTS, env: ServeEnvironment = {}): ParseOutcome {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        target: { type: 'string' },
        rewrite: { type: 'string' },
        'inline-system': { type: 'string' },
        'max-body': { type: 'string' },
        token: { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        'allow-host': { type: 'string', multiple: true },
        slots: { type: 'string' },
        'side-model': { type: 'string' },
        'no-cache-usage': { type: 'boolean' },
        'upstream-timeout': { type: 'string' },
        backend: { type: 'string' },
        router: { type: 'string' },
        'affinity-header': { type: 'string', multiple: true },
        'upstream-auth': { type: 'string' },
        'upstream-ca': { type: 'string' },
        warm: { type: 'string' },
        explain: { type: 'boolean' },
        'prompt-excerpts': { type: 'boolean' },
        'log-level': { type: 'string' },
        'json-logs': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
    if (values.help) return { kind: 'help' };
    if (values.version) return { kind: 'version' };
    if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);

    const base = defaults.proxy;
    const host = values.host ?? base.host;
    const token = values.token ?? (env.token || undefined) ?? base.token;
    if (!isLoopbackHost(host) && !token) {
      throw new Error(`listening on ${host} exposes your model to the network; pass --token <secret> (clients send it as Authorization: Bearer) or use --host 127.0.0.1`);
    }
    const slots = values.slots === undefined ? base.slots ?? 1 : Number(values.slots);
    if (!Number.isInteger(slots) || slots < 1 || slots > 64) throw new Error(`--slots must be a whole number from 1 to 64, got "${values.slots}"`);
    const timeout = values['upstream-timeout'] === undefined ? (base.upstreamTimeoutMs ?? 0) / 1000 : Number(values['upstream-timeout']);
    if (!Number.isFinite(timeout) || timeout < 0) throw new Error(`--upstream-timeout must be seconds (0 = never), got "${values['upstream-timeout']}"`);

    const router = values.router === undefined ? defaults.router ?? null : oneOf<RouterFlavour>('--router', values.router, ROUTER_FLAVOURS);
    const backend = values.backend === undefined ? defaults.backend ?? 'auto' : oneOf<BackendChoice>('--backend', values.backend, BACKEND_CHOICES);
    // The settings' router header stays unless --router names another; extra headers add up.
    const presetHeaders = values.router === undefined ? base.affinityHeaders ?? [] : affinityTargets([], router);
    const affinity = [...new Set([...presetHeaders, ...affinityTargets(values['affinity-header'] ?? [], null)])];
    // An empty --upstream-auth "" clears the one in the settings file.
    const given = values['upstream-auth'] ?? (env.upstreamAuth || undefined);
    const upstreamAuth = given === undefined ? base.upstreamAuth : given || undefined;
    if (upstreamAuth !== undefined) parseUpstreamAuth(upstreamAuth);
    const target = values.target === undefined ? base.target : parseTarget(values.target);
    const upstreamCa = values['upstream-ca'] === undefined ? base.upstreamCa : readCertificate(values['upstream-ca'], env);
    if (upstreamCa !== undefined && !target.startsWith('https:')) throw new Error('--upstream-ca is for an https:// --target');

    const proxy: ProxyOptions = {
      host,
      port: values.port === undefined ? base.port : parsePort(values.port),
      target,
      rewrite: values.rewrite === undefined ? base.rewrite : oneOf<RewriteMode>('--rewrite', values.rewrite, REWRITE_MODES),
      inlineSystem: values['inline-system'] === undefined ? base.inlineSystem ?? 'fold' : oneOf<InlineSystemMode>('--inline-system', values['inline-system'], INLINE_SYSTEM_MODES),
      maxBodyBytes: values['max-body'] === undefined ? base.maxBodyBytes : parseSize(values['max-body']),
      token: token || undefined,
      allowOrigins: [...(base.allowOrigins ?? []), ...(values['allow-origin'] ?? [])],
      allowHosts: [...(base.allowHosts ?? []), ...(values['allow-host'] ?? [])],
      cacheUsage: values['no-cache-usage'] ? false : base.cacheUsage ?? true,
      slots,
      sideModel: values['side-model'] === undefined ? base.sideModel ?? '' : parseSideModel(values['side-model']),
      upstreamTimeoutMs: timeout * 1000,
      affinityHeaders: affinity,
      upstreamAuth,
      upstreamCa,
      promptExcerpts: values['prompt-excerpts'] ?? base.promptExcerpts ?? false,
    };
    return {
      kind: 'serve',
      config: {
        proxy,
        backend: backendFromSettings(backend, router),
        logLevel: values['log-level'] === undefined ? defaults.logLevel : oneOf<LogLevel>('--log-level', values['log-level'], LOG_LEVELS),
        jsonLogs: values['json-logs'] ?? false,
        explain: values.explain ?? false,
        contextTokens: defaults.contextTokens ?? 0,
        model: defaults.model ?? DEFAULT_SETTINGS.model,
        snippet: defaults.snippet ?? snippetSettingsFrom(DEFAULT_SETTINGS, env.shellPath),
        warm: values.warm === undefined ? defaults.warm ?? DEFAULT_SETTINGS.warm : oneOf<WarmSetting>('--warm', values.warm, WARM_SETTINGS),
        settingsDir: defaults.settingsDir ?? null,
      },
    };
  } catch (err) {
    return { kind: 'error', message: flagErrorMessage(err as NodeJS.ErrnoException) };
  }
}

function readCertificate(path: string, env: ServeEnvironment): string {
  let text: string;
  try {
    text = (env.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(path);
  } catch (err) {
    throw new Error(`--upstream-ca: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--upstream-ca: ${path} holds no PEM certificate`);
  return text;
}

function firstSentence(text: string): string {
  return (text.split(/\.(?:\s|$)/)[0] ?? text).replace(/^Option/, 'option');
}

/** util.parseArgs explains errors at length; one short line reads better in a terminal. */
export function flagErrorMessage(err: NodeJS.ErrnoException): string {
  const quoted = /'(-[^']*)'/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? err.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(err.message) && quoted ? `option ${quoted.split(' ')[0]} needs a value` : firstSentence(err.message);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return firstSentence(err.message);
    default:
      return err.message;
  }
}
