// The app's third job: the backend session as the menu-bar app lives with it.
// It tells the user when the backend stops answering, passes on the
// session's notices, and keeps the chosen model loaded (Ollama's keep-alive)
// while the setting says so. The session itself (host/backend-session.ts)
// is the CLI's too.
import type { Clock } from '../backends/clock.js';
import type { KeepAlive } from '../backends/keep-alive.js';
import { createKeepAlive } from '../backends/keep-alive.js';
import type { KeepAliveState, BackendStatus } from '../backends/types.js';
import type { BackendSession } from '../host/backend-session.js';
import type { Settings } from '../settings/schema.js';

/** Sent as Ollama's keep_alive while "Keep model loaded" is on. */
const KEEP_ALIVE = '60m';

export interface BackendFollowerOptions {
  readonly fetch: typeof fetch;
  readonly clock: Clock;
  readonly notify: (message: string) => void;
  /** Anything the tray shows about the backend or the keep-alive changed. */
  readonly onChange: () => void;
  /** A keep-alive renewal reached the backend: it moves the model's expiry, as any request does. */
  readonly onRenewed?: (model: string) => void;
}

export class BackendFollower {
  #settings: Readonly<Settings>;
  #keepAlive: KeepAlive;
  #status: BackendStatus = 'unknown';
  /** Keep-alive runs only between start() and stop(). */
  #active = false;

  constructor(private readonly session: BackendSession, settings: Readonly<Settings>, private readonly options: BackendFollowerOptions) {
    this.#settings = settings;
    this.#keepAlive = this.#newKeepAlive();
    // The session's events come from whichever watch is current, so these outlive a change of backend.
    session.on('up', () => {
      this.#status = 'up';
      // Ollama may have restarted and forgotten the model; keep-alive is Ollama's own API.
      if (session.profile?.kind === 'ollama') void this.#keepAlive.renew();
    });
    session.on('down', (state) => {
      const name = session.profile?.label ?? 'The backend';
      if (this.#status === 'up') {
        options.notify(`${name} stopped answering at ${this.#settings.target}${state.error ? ` (${state.error})` : ''}. Calls through the proxy will fail until it is back.`);
      }
      this.#status = 'down';
    });
    session.on('changed', () => {
      this.#syncKeepAlive();
      options.onChange();
    });
    session.on('notice', (message) => options.notify(message));
  }

  get keepAlive(): KeepAliveState {
    return this.#keepAlive.state;
  }

  start(): void {
    this.#active = true;
    this.#syncKeepAlive();
  }

  stop(): void {
    this.#active = false;
    this.#keepAlive.setEnabled(false);
  }

  /** New settings, after the session took them; `watchingAnew` when it now watches another backend. */
  reconfigure(next: Readonly<Settings>, watchingAnew: boolean): void {
    const previous = this.#settings;
    this.#settings = next;
    if (watchingAnew) {
      // Another backend: what was known of the old one, and its keep-alive, no longer apply.
      this.#status = 'unknown';
      this.#keepAlive.setEnabled(false);
      this.#keepAlive = this.#newKeepAlive();
      this.#syncKeepAlive();
      return;
    }
    if (next.model !== previous.model) this.#keepAlive.setModel(next.model);
    if (next.keepModelLoaded !== previous.keepModelLoaded) this.#syncKeepAlive();
  }

  #newKeepAlive(): KeepAlive {
    const { target, model } = this.#settings;
    const { fetch, clock } = this.options;
    const keepAlive = createKeepAlive({ target, fetch, clock, model, keepAlive: KEEP_ALIVE });
    keepAlive.on('changed', () => this.options.onChange());
    keepAlive.on('renewed', (state) => this.options.onRenewed?.(state.model));
    return keepAlive;
  }

  /**
   * Keep-alive is Ollama's own API: it runs once Ollama is found (or named)
   * at the target, never against another engine, which would answer it with errors.
   */
  #syncKeepAlive(): void {
    const kind = this.session.state.kind;
    const ollama = kind === 'ollama' || (kind === undefined && this.#settings.backend === 'ollama');
    this.#keepAlive.setEnabled(this.#active && this.#settings.keepModelLoaded && ollama);
  }
}
