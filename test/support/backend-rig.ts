// A proxy in front of a backend from the host the CLI and the app both run
// (ProxyHost): the status API's backend object, advice and notices, affinity
// headers, TLS and upstream auth, over real HTTP.
import { once } from 'node:events';
import type { BackendChoice } from '../../main/core/backends/types.js';
import type { BackendInfo, RouterFlavour } from '../../main/core/wire/types.js';
import type { BackendWatch } from '../../main/core/backends/watch.js';
import type { CallRecord, ProxyStatus, WarmSetting } from '../../main/core/wire/types.js';
import { affinityTargets } from '../../main/core/backends/router-affinity.js';
import { backendFromSettings } from '../../main/core/backends/upstream.js';
import type { ProxyServer } from '../../main/core/proxy/server.js';
import type { ProxyOptions } from '../../main/core/proxy/types.js';
import { ProxyHost } from '../../main/core/host/proxy-host.js';
import { createManualClock, type ManualClock } from './manual-clock.js';
import { send } from './http-client.js';

export interface RigOptions {
  backend?: BackendChoice;
  router?: RouterFlavour | null;
  affinity?: string[];
  slots?: number;
  model?: string;
  proxy?: Partial<ProxyOptions>;
  /** Sent with the rig's own status requests, e.g. the proxy's token. */
  clientHeaders?: Record<string, string>;
  /** Warm start (default off here: most rigs test something else, on a clock that only moves when told). */
  warm?: WarmSetting;
}

export interface BackendRig {
  readonly url: string;
  readonly proxy: ProxyServer;
  readonly host: ProxyHost;
  readonly watch: BackendWatch;
  readonly clock: ManualClock;
  readonly notices: string[];
  readonly calls: CallRecord[];
  status(): Promise<ProxyStatus>;
  backend(): Promise<BackendInfo>;
  /** Resolves with the record of the next completed call. */
  nextCall(): Promise<CallRecord>;
  close(): Promise<void>;
}

/** Starts the watch (its first check done) and the proxy; time moves only when the test advances the clock. */
export async function startBackendRig(target: string, options: RigOptions = {}): Promise<BackendRig> {
  const clock = createManualClock();
  const proxyOptions: ProxyOptions = {
    host: '127.0.0.1', port: 0, target, rewrite: 'drop', maxBodyBytes: 64 * 1024 * 1024, slots: options.slots ?? 1,
    affinityHeaders: affinityTargets(options.affinity ?? [], options.router ?? null), ...options.proxy,
  };
  const host = new ProxyHost({
    proxy: proxyOptions, backend: backendFromSettings(options.backend ?? 'auto', options.router ?? null),
    model: options.model ?? '', contextTokens: 0, snippet: { bare: false, subagentModel: '', shell: 'bash' }, warm: options.warm ?? 'off',
  }, { fetch, clock, onBattery: () => false });
  const proxy = host.createProxy();
  const watch = host.session.watch;
  const notices: string[] = [];
  const calls: CallRecord[] = [];
  host.session.on('notice', (message) => notices.push(message));
  proxy.on('call', (record) => calls.push(record));
  const checked = once(watch.monitor, 'checked');
  host.start();
  await checked;
  const { port } = await proxy.start();
  const url = `http://127.0.0.1:${port}`;
  const status = async (): Promise<ProxyStatus> => JSON.parse((await send(url, { path: '/_proxy/status', headers: options.clientHeaders ?? {} })).text) as ProxyStatus;
  return {
    url, proxy, host, watch, clock, notices, calls, status,
    backend: async () => {
      const backend = (await status()).backend;
      if (backend === null) throw new Error('the status has no backend object');
      return backend;
    },
    nextCall: () => once(proxy, 'call').then(([record]) => record as CallRecord),
    close: async () => {
      host.stop();
      await proxy.stop(100);
    },
  };
}
