// The bodies a warm-up sends. Both ask for one output token and no stream: the
// answer is thrown away, only the backend's cache is wanted.
//
// The backend renders the prompt from the parsed JSON, so a re-serialised body
// renders the same prompt as the bytes the proxy forwarded.

/** What every session of a project sends first, unchanged: the session-independent head of the prompt. */
export interface StaticPrefix {
  readonly model: string;
  readonly system?: unknown;
  readonly tools?: unknown;
  /** Kept because a template may render the prompt's head differently with thinking on. */
  readonly thinking?: unknown;
  readonly output_config?: unknown;
}

const PREFIX_FIELDS = ['system', 'tools', 'thinking', 'output_config'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The static prefix of a forwarded /v1/messages body; null when it names no model. */
export function staticPrefixOf(body: unknown): StaticPrefix | null {
  if (!isRecord(body) || typeof body['model'] !== 'string' || body['model'] === '') return null;
  const prefix: Record<string, unknown> = { model: body['model'] };
  for (const field of PREFIX_FIELDS) if (body[field] !== undefined) prefix[field] = body[field];
  return prefix as unknown as StaticPrefix;
}

export function isStaticPrefix(value: unknown): value is StaticPrefix {
  return isRecord(value) && typeof value['model'] === 'string' && value['model'] !== ''
    && Object.keys(value).every((k) => k === 'model' || (PREFIX_FIELDS as readonly string[]).includes(k));
}

const ONE_TOKEN = { max_tokens: 1, stream: false } as const;

/**
 * The static prefix followed by a one-character user message: the prompt it
 * renders begins with what any new session of the project sends, up to its
 * first user message.
 */
export function prefixWarmUp(prefix: StaticPrefix): Record<string, unknown> {
  return { ...prefix, messages: [{ role: 'user', content: '.' }], ...ONE_TOKEN };
}

/** The conversation's last body as forwarded, asked for one token: its next turn then finds all of it cached. */
export function conversationWarmUp(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return { ...body, ...ONE_TOKEN };
}
