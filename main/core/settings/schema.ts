// The one description of the settings file. conf (headless CLI) and
// electron-store (app) both validate config.json against SETTINGS_SCHEMA, the
// Settings window reads titles and descriptions from it, validateSettings
// derives its messages from it, and DEFAULT_SETTINGS is taken from its defaults.
import type { LogLevel } from '../logger.js';
import type { RewriteMode } from '../rewrite/types.js';
import { REWRITE_MODES } from '../rewrite/types.js';
import { INLINE_SYSTEM_MODES, type InlineSystemMode } from '../rewrite/inline-system.js';
import type { Shell } from '../snippet/shells.js';
import { SHELLS } from '../snippet/shells.js';
import { BACKEND_CHOICES, type BackendChoice } from '../backends/types.js';
import { ROUTER_FLAVOURS, WARM_SETTINGS, type RouterFlavour, type WarmSetting } from '../wire/types.js';

export const CURRENT_SCHEMA_VERSION = 2;

export type ShellPreference = 'auto' | Shell;
export const SHELL_PREFERENCES: readonly ShellPreference[] = ['auto', ...SHELLS];

export type RouterPreset = 'none' | RouterFlavour;
export const ROUTER_PRESETS: readonly RouterPreset[] = ['none', ...ROUTER_FLAVOURS];

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const MIB = 1024 * 1024;

// A type alias, not an interface: conf requires `T extends Record<string, unknown>`,
// which interfaces do not satisfy.
export type Settings = {
  schemaVersion: number;
  /** Where the proxy listens. */
  port: number;
  host: string;
  /** The backend (Ollama) base URL. */
  target: string;
  rewrite: RewriteMode;
  /** What happens to system messages inside `messages`: folded where they stand, or kept for the backend to lift. */
  inlineSystem: InlineSystemMode;
  /** Whether the generated `claudel` passes `--bare`. */
  bare: boolean;
  model: string;
  /** The model subagents use; empty means `model`. */
  subagentModel: string;
  /** The model's context window in tokens, for when the backend cannot say; 0 = not set. */
  contextTokens: number;
  shell: ShellPreference;
  keepModelLoaded: boolean;
  launchAtLogin: boolean;
  /** The app starts the proxy unless the user stopped it last time. */
  proxyEnabled: boolean;
  cacheUsage: boolean;
  slots: number;
  /** Side calls go to this model; '' = off. */
  sideModel: string;
  maxBodyBytes: number;
  /** Required when host is not loopback. */
  token: string;
  allowOrigins: string[];
  logLevel: LogLevel;
  /** Show the prompt text around a cache miss (status API, live feed, Activity, --explain); off by default. */
  promptExcerpts: boolean;
  /** Which engine the target is; auto detects it from its endpoints. */
  backend: BackendChoice;
  /** The router in front of the engines, whose affinity header is added. */
  router: RouterPreset;
  /** More headers (or cookie:NAME) that carry each conversation's affinity key. */
  affinityHeaders: string[];
  /** The upstream's own auth header (`Name: value`, or a bare Bearer token); never logged. */
  upstreamAuth: string;
  /** Warm start: re-send the prompt the backend lost while it is idle. */
  warm: WarmSetting;
};

/** The subset of JSON Schema this project uses; all standard keywords, so Ajv's strict mode accepts it. */
export type FieldSchema<V> = {
  readonly type: 'integer' | 'string' | 'boolean' | 'array';
  /** Short label, used in messages and the Settings window. */
  readonly title: string;
  readonly description: string;
  readonly default: V;
  readonly enum?: readonly V[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly items?: { readonly type: 'string' };
};

export type SettingsSchema = { readonly [K in keyof Settings]: FieldSchema<Settings[K]> };

export const SETTINGS_SCHEMA: SettingsSchema = {
  schemaVersion: {
    type: 'integer', minimum: 1, default: CURRENT_SCHEMA_VERSION,
    title: 'Settings version', description: 'Shape of this file; older shapes are migrated on start.',
  },
  port: {
    type: 'integer', minimum: 1, maximum: 65535, default: 11435,
    title: 'Port', description: 'Port the proxy listens on; the claudel snippet points Claude Code here.',
  },
  host: {
    type: 'string', minLength: 1, default: '127.0.0.1',
    title: 'Listen address', description: 'Address the proxy listens on. Anything but loopback requires an access token.',
  },
  target: {
    type: 'string', minLength: 1, default: 'http://127.0.0.1:11434',
    title: 'Backend URL', description: 'Where Ollama (or another Anthropic-compatible backend) answers.',
  },
  rewrite: {
    type: 'string', enum: REWRITE_MODES, default: 'drop',
    title: 'Prompt rewrite',
    description: 'drop: remove the billing block at the start of the prompt; normalize: keep it with frozen values; off: forward unchanged.',
  },
  inlineSystem: {
    type: 'string', enum: INLINE_SYSTEM_MODES, default: 'fold',
    title: 'Inline system messages',
    description: 'fold: place system messages inside the conversation by the model\'s renderer, so the backend cannot lift them to the top and re-read everything after: the opening context at the end of the system prompt (where Ollama\'s template path puts it), later ones as <system-reminder> text where they stand, none moved for a renderer that keeps them in place (qwen3.5); keep: forward them as sent.',
  },
  bare: {
    type: 'boolean', default: false,
    title: 'Bare mode', description: 'claudel runs Claude Code with --bare: a much smaller prompt, fewer tools.',
  },
  model: {
    type: 'string', minLength: 1, default: 'qwen3-coder:30b',
    title: 'Model', description: 'The local model Claude Code uses for every tier and for subagents.',
  },
  subagentModel: {
    type: 'string', default: '',
    title: 'Subagent model',
    description: 'Another local model for subagents (CLAUDE_CODE_SUBAGENT_MODEL in claudel). Ollama keys runners by weights file, so a model with a different file keeps its own cache (at the cost of its memory) and subagents no longer evict the main conversation; an `ollama cp` alias shares the runner and cache. Empty: subagents use Model.',
  },
  contextTokens: {
    type: 'integer', minimum: 0, maximum: 10_000_000, default: 0,
    title: 'Context window',
    description: "The model's context window in tokens, told to Claude Code by claudel. The backend's own figure wins while it answers; this is used when it cannot say. 0: not set.",
  },
  shell: {
    type: 'string', enum: SHELL_PREFERENCES, default: 'auto',
    title: 'Shell', description: 'Shell the claudel snippet is written for; auto follows $SHELL.',
  },
  keepModelLoaded: {
    type: 'boolean', default: false,
    title: 'Keep model loaded', description: 'Stop Ollama from unloading the model (and its cache) after 5 idle minutes.',
  },
  warm: {
    type: 'string', enum: WARM_SETTINGS, default: 'auto',
    title: 'Warm start',
    description: "Re-send Claude Code's system prompt and tools (or the conversation) with one output token while the backend is idle and has lost them (model reloaded, another client or a side call took its cache), so the next session's first call finds them cached. on: also at start, loading the model if need be; idle: only a model already loaded; off: never; auto: idle on your own engine, off behind a router or a shared server.",
  },
  launchAtLogin: {
    type: 'boolean', default: false,
    title: 'Launch at login', description: 'Start the app when you log in.',
  },
  proxyEnabled: {
    type: 'boolean', default: true,
    title: 'Proxy enabled', description: 'The app starts the proxy unless it was stopped last time.',
  },
  cacheUsage: {
    type: 'boolean', default: true,
    title: 'Report cache usage', description: 'Add estimated cache_read_input_tokens to responses, which Ollama does not report.',
  },
  slots: {
    type: 'integer', minimum: 1, maximum: 64, default: 1,
    title: 'Cache slots', description: 'Cache slots the backend holds (OLLAMA_NUM_PARALLEL).',
  },
  sideModel: {
    type: 'string', default: '',
    title: 'Side-call model',
    description: 'Send side calls (session titles and other one-off questions) to this model, so they never evict the conversation from the main model\'s cache. Empty: off.',
  },
  maxBodyBytes: {
    type: 'integer', minimum: MIB, maximum: 1024 * MIB, default: 64 * MIB,
    title: 'Largest request body', description: 'Requests larger than this are refused.',
  },
  token: {
    type: 'string', default: '',
    title: 'Access token', description: 'Clients send it as a Bearer token or x-api-key. Required when listening beyond loopback.',
  },
  allowOrigins: {
    type: 'array', items: { type: 'string' }, default: [],
    title: 'Allowed browser origins', description: 'Web pages (origins like http://localhost:5173) allowed to call the proxy.',
  },
  logLevel: {
    type: 'string', enum: LOG_LEVELS, default: 'info',
    title: 'Log level', description: 'How much the proxy logs. Prompt text is never logged.',
  },
  promptExcerpts: {
    type: 'boolean', default: false,
    title: 'Show prompt excerpts',
    description: 'Show up to 40 characters of the prompt on each side of a cache miss, in the Activity view, the status API and --explain. Off: only where the prompt changed.',
  },
  backend: {
    type: 'string', enum: BACKEND_CHOICES, default: 'auto',
    title: 'Backend', description: 'Which engine answers at the backend URL; auto tells it from its own endpoints.',
  },
  router: {
    type: 'string', enum: ROUTER_PRESETS, default: 'none',
    title: 'Router', description: 'A router in front of several engines: each conversation gets its affinity header, so it stays with its cache.',
  },
  affinityHeaders: {
    type: 'array', items: { type: 'string' }, default: [],
    title: 'Affinity headers', description: 'More header names (or cookie:NAME) given each conversation\'s affinity key.',
  },
  upstreamAuth: {
    type: 'string', default: '',
    title: 'Upstream auth', description: 'The shared server\'s own auth header, "Name: value" or a bare Bearer token. Never logged.',
  },
};

export const SETTING_KEYS = Object.keys(SETTINGS_SCHEMA) as readonly (keyof Settings)[];

export function isSettingKey(key: string): key is keyof Settings {
  return Object.hasOwn(SETTINGS_SCHEMA, key);
}

/** A fresh, mutable copy of the defaults (arrays included) for a caller to own. */
export function defaultSettings(): Settings {
  const entries = SETTING_KEYS.map((key) => [key, SETTINGS_SCHEMA[key].default]);
  return structuredClone(Object.fromEntries(entries)) as Settings;
}

function freezeDeep<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) freezeDeep(inner);
  }
  return Object.freeze(value);
}

export const DEFAULT_SETTINGS: Readonly<Settings> = freezeDeep(defaultSettings());
