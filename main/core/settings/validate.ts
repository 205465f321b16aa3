// Pure validation with messages meant for people: the Settings window shows
// them next to the field, the CLI prints them. Structural rules come from
// SETTINGS_SCHEMA (so conf and this agree); the rest are checks JSON Schema
// cannot express well (URLs, host names, loopback-or-token).
import { parseAffinityTarget } from '../backends/router-affinity.js';
import { parseUpstreamAuth } from '../backends/upstream.js';
import type { FieldSchema, Settings } from './schema.js';
import { DEFAULT_SETTINGS, SETTINGS_SCHEMA, SETTING_KEYS } from './schema.js';

export type SettingsError = { readonly field: keyof Settings; readonly message: string };
export type SettingsValidation = { readonly ok: boolean; readonly errors: readonly SettingsError[] };

export interface ValidateOptions {
  /**
   * Accept port 0 ("pick a free port"). Only the headless `serve --port 0`
   * wants this: a stored port must be real, because the app reopens it and the
   * claudel snippet hard-codes it.
   */
  readonly allowPortZero?: boolean;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

function formatBytes(n: number): string {
  if (n % GIB === 0) return `${n / GIB} GiB`;
  if (n % MIB === 0) return `${n / MIB} MiB`;
  return `${n} bytes`;
}

function hasControlCharacter(value: string): boolean {
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function integerMessage(key: keyof Settings, value: unknown, schema: FieldSchema<unknown>, options: ValidateOptions): string | null {
  const portZero = key === 'port' && options.allowPortZero === true;
  const min = portZero ? 0 : schema.minimum;
  const max = schema.maximum;
  const fits = typeof value === 'number' && Number.isInteger(value)
    && (min === undefined || value >= min) && (max === undefined || value <= max);
  if (fits) return null;
  const isBytes = key === 'maxBodyBytes';
  const format = isBytes ? formatBytes : String;
  const what = isBytes ? 'a whole number of bytes' : 'a whole number';
  const range = min !== undefined && max !== undefined ? `from ${format(min)} to ${format(max)}`
    : min !== undefined ? `of at least ${format(min)}` : '';
  return `${schema.title} must be ${what}${range ? ` ${range}` : ''}${portZero ? ' (0 picks a free port)' : ''}.`;
}

/** The checks SETTINGS_SCHEMA itself states (what Ajv would enforce), in words. */
function schemaMessage(key: keyof Settings, value: unknown, options: ValidateOptions): string | null {
  const schema: FieldSchema<unknown> = SETTINGS_SCHEMA[key];
  if (schema.enum) {
    return schema.enum.includes(value) ? null : `${schema.title} must be one of: ${schema.enum.join(', ')}.`;
  }
  switch (schema.type) {
    case 'integer':
      return integerMessage(key, value, schema, options);
    case 'boolean':
      return typeof value === 'boolean' ? null : `${schema.title} must be true or false.`;
    case 'string':
      if (typeof value !== 'string') return `${schema.title} must be text.`;
      return value.length < (schema.minLength ?? 0) ? `${schema.title} must not be empty.` : null;
    case 'array':
      return Array.isArray(value) && value.every((item) => typeof item === 'string')
        ? null : `${schema.title} must be a list of text values.`;
  }
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The WHATWG URL parser is available in Node and in the renderer, and knows IPv6 syntax. */
function ipv6Hostname(host: string): string | null {
  if (!host.includes(':')) return null;
  try {
    return new URL(`http://[${host}]/`).hostname;
  } catch {
    return null;
  }
}

export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  return lower === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower) || ipv6Hostname(lower) === '[::1]';
}

function hostMessage(host: string): string | null {
  if (HOSTNAME.test(host) || ipv6Hostname(host) !== null) return null;
  return `Listen address must be a host name or IP address such as 127.0.0.1, not "${host}".`;
}

function targetMessage(target: string): string | null {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return `Backend URL must be a full URL such as http://127.0.0.1:11434, not "${target}".`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Backend URL must start with http:// or https://.';
  if (url.search !== '' || url.hash !== '') return 'Backend URL must not have a query (?) or fragment (#).';
  return null;
}

function tokenMessage(token: string): string | null {
  // It travels in an HTTP header, where only visible ASCII is safe.
  return /^[!-~]*$/.test(token) ? null : 'Access token may only contain visible ASCII characters (no spaces).';
}

function originsMessage(origins: readonly string[]): string | null {
  const bad = origins.find((origin) => {
    try {
      const url = new URL(origin);
      return (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin;
    } catch {
      return true;
    }
  });
  return bad === undefined ? null
    : `Allowed browser origins: "${bad}" is not an origin like http://localhost:5173 (scheme, host, optional port; no path or trailing slash).`;
}

function modelMessage(model: string): string | null {
  return hasControlCharacter(model) ? 'Model must not contain control characters.' : null;
}

/** The flag's own parser says what is wrong; the setting says it in the Settings words. */
function parserMessage(parse: () => unknown, what: string): string | null {
  try {
    parse();
    return null;
  } catch (error) {
    return `${what}: ${(error as Error).message.replace(/^--[a-z-]+ /, '')}.`;
  }
}

/** Checks beyond the schema; only called once the value has the right type. */
function semanticMessage(key: keyof Settings, value: unknown): string | null {
  switch (key) {
    case 'host': return hostMessage(value as string);
    case 'target': return targetMessage(value as string);
    case 'token': return tokenMessage(value as string);
    case 'allowOrigins': return originsMessage(value as string[]);
    case 'model': return modelMessage(value as string);
    case 'affinityHeaders': return parserMessage(() => (value as string[]).forEach(parseAffinityTarget), 'Affinity headers');
    // Never quotes the value: it is a secret.
    case 'upstreamAuth': return value === '' ? null : parserMessage(() => parseUpstreamAuth(value as string), 'Upstream auth');
    default: return null;
  }
}

/**
 * Validates a whole or partial candidate. Fields that are absent are not
 * reported, but rules spanning fields use the default for an absent one, so
 * pass the full candidate (current settings plus edits) to judge host + token
 * together. Unknown keys are ignored: a newer version of the app may have
 * written them.
 */
export function validateSettings(candidate: Readonly<Record<string, unknown>>, options: ValidateOptions = {}): SettingsValidation {
  const errors: SettingsError[] = [];
  for (const field of SETTING_KEYS) {
    if (!Object.hasOwn(candidate, field)) continue;
    const value = candidate[field];
    const message = schemaMessage(field, value, options) ?? semanticMessage(field, value);
    if (message !== null) errors.push({ field, message });
  }
  const host = Object.hasOwn(candidate, 'host') ? candidate['host'] : DEFAULT_SETTINGS.host;
  const token = Object.hasOwn(candidate, 'token') ? candidate['token'] : DEFAULT_SETTINGS.token;
  const hostIsValid = !errors.some((error) => error.field === 'host');
  if (hostIsValid && typeof host === 'string' && token === '' && !isLoopbackHost(host)) {
    errors.push({ field: 'token', message: `An access token is required when listening on ${host}, which other machines can reach.` });
  }
  return { ok: errors.length === 0, errors };
}
