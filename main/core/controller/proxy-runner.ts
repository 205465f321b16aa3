// The app's first job: running the proxy. It starts one from the settings,
// swaps in a new one on a change that needs it without cutting the streams in
// flight (a local model can take minutes to answer), and stops it; every
// proxy it ever ran reports its calls until its last stream has finished.
import { EventEmitter } from 'node:events';
import type { CallRecord, InFlightEvent, ProxyStatus } from '../wire/types.js';
import type { ProxyHost } from '../host/proxy-host.js';
import { proxyOptionsFromSettings } from '../proxy/options-from-settings.js';
import type { ProxyController, ProxyOptions } from '../proxy/types.js';
import type { RewriteMode } from '../rewrite/types.js';
import type { InlineSystemMode } from '../rewrite/inline-system.js';
import type { Settings } from '../settings/schema.js';
import type { ProxyRun } from './app-state.js';
import { isPortBusy, listenFailure } from './proxy-config.js';
import type { SettingsProblem } from '../ui/bridge.js';

/**
 * A settings change replaces the proxy; the old one keeps serving its streams
 * while the new one takes new calls.
 */
const RESTART_GRACE_MS = 10 * 60_000;

export interface ProxyRunnerEvents {
  /** A call completed, from whichever proxy served it. */
  call: [record: CallRecord];
  /** `source` numbers the proxy, whose call ids start from 1 again after a restart. */
  'in-flight': [source: number, event: InFlightEvent];
  /** The run (running, stopped, failed) changed. */
  changed: [];
}

export class ProxyRunner extends EventEmitter<ProxyRunnerEvents> {
  #proxy: ProxyController | null = null;
  #run: ProxyRun = { state: 'stopped', address: null };
  /** Replaced or stopped proxies still finishing their streams, with how to stop listening to them. */
  readonly #retiring = new Map<ProxyController, Promise<void>>();
  readonly #detach = new Map<ProxyController, () => void>();
  /** Numbers each proxy instance. */
  #serial = 0;

  constructor(private readonly host: ProxyHost, private readonly notify: (message: string) => void) {
    super();
  }

  get run(): ProxyRun {
    return this.#run;
  }

  /** The running proxy's status; null while it is stopped. */
  status(): ProxyStatus | null {
    return this.#proxy?.status() ?? null;
  }

  setRewriteMode(mode: RewriteMode): void {
    this.#proxy?.setRewriteMode(mode);
  }

  setInlineSystem(mode: InlineSystemMode): void {
    this.#proxy?.setInlineSystem(mode);
  }

  /** Starts a proxy from `settings`; a failure becomes the run's state (and a notification), never an exception. */
  async start(settings: Readonly<Settings>): Promise<void> {
    if (this.#proxy) return;
    const { host, port } = settings;
    try {
      this.#proxy = await this.#listen(proxyOptionsFromSettings(settings));
    } catch (error) {
      this.#run = failedRun(error, host, port);
      this.notify(listenFailure(error, host, port).message);
    }
    this.emit('changed');
  }

  /**
   * Swaps in a proxy built from `next` without cutting streams in flight. On a
   * new port the new proxy starts first, so a busy port leaves the old one
   * serving; on the same port the old one must stop accepting first (it closes
   * its listener before draining), and is started again if the new one fails.
   */
  async replace(previous: Readonly<Settings>, next: Readonly<Settings>): Promise<SettingsProblem | null> {
    const old = this.#proxy;
    const samePort = old !== null && previous.port === next.port;
    if (old && samePort) {
      this.#proxy = null;
      this.#retire(old, RESTART_GRACE_MS);
    }
    try {
      this.#proxy = await this.#listen(proxyOptionsFromSettings(next));
    } catch (error) {
      if (samePort) {
        this.#proxy = await this.#listen(proxyOptionsFromSettings(previous)).catch((again: unknown) => {
          this.#run = failedRun(again, previous.host, previous.port);
          return null;
        });
      }
      this.emit('changed');
      return listenFailure(error, next.host, next.port);
    }
    if (old && !samePort) this.#retire(old, RESTART_GRACE_MS);
    this.emit('changed');
    return null;
  }

  /** Stops accepting at once; streams in flight get up to graceMs to finish. */
  stop(graceMs: number): void {
    const proxy = this.#proxy;
    this.#proxy = null;
    if (proxy) this.#retire(proxy, graceMs);
    this.#run = { state: 'stopped', address: null };
    this.emit('changed');
  }

  /** Stops every proxy, those still draining from a restart too, within graceMs. */
  async shutdown(graceMs: number): Promise<void> {
    // Stopping again shortens the long grace of proxies still draining from a restart.
    const draining = [...this.#retiring.keys()];
    const proxy = this.#proxy;
    this.#proxy = null;
    if (proxy) this.#retire(proxy, graceMs);
    await Promise.all(draining.map((retired) => retired.stop(graceMs)));
    await Promise.all(this.#retiring.values());
  }

  async #listen(options: ProxyOptions): Promise<ProxyController> {
    // The host's session reads whichever watch is current, so a proxy outlives a change of backend settings.
    const proxy = this.host.createProxy(options);
    const serial = ++this.#serial;
    const onCall = (record: CallRecord): void => void this.emit('call', record);
    const onInFlight = (event: InFlightEvent): void => void this.emit('in-flight', serial, event);
    proxy.on('call', onCall);
    proxy.on('in-flight', onInFlight);
    const detach = (): void => {
      proxy.off('call', onCall);
      proxy.off('in-flight', onInFlight);
    };
    try {
      const address = await proxy.start();
      this.#detach.set(proxy, detach);
      this.#run = { state: 'running', address };
      return proxy;
    } catch (error) {
      detach();
      throw error;
    }
  }

  /** Stops accepting at once; the streams it serves finish in the background (their calls still reported). */
  #retire(proxy: ProxyController, graceMs: number): void {
    const done = proxy.stop(graceMs).catch(() => undefined).finally(() => {
      this.#detach.get(proxy)?.();
      this.#detach.delete(proxy);
      this.#retiring.delete(proxy);
    });
    this.#retiring.set(proxy, done);
  }
}

function failedRun(error: unknown, host: string, port: number): ProxyRun {
  return isPortBusy(error)
    ? { state: 'port-busy', address: null }
    : { state: 'error', address: null, error: listenFailure(error, host, port).message };
}
