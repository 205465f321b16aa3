// Runs the proxy headless: the same core the menu-bar app hosts, with a log
// line per request on stdout and a clean shutdown on SIGINT/SIGTERM.
import { createLogger } from '../core/logger.js';
import { formatExplainLine } from '../core/diagnostics/index.js';
import { firstTokenLine, SLOW_WAIT_MS, warmUpLine } from '../core/wait/wait-view.js';
import { ProxyHost } from '../core/host/proxy-host.js';
import type { ServeConfig } from './serve-args.js';
import { fileWarmStore } from '../core/warm/warm-store.js';
import { linuxOnBattery } from '../core/warm/power-source.js';

/** How long in-flight streams may run on after a shutdown signal. */
const SHUTDOWN_GRACE_MS = 5000;
/** Signals closer together than this are one request to stop, not two. */
const REPEAT_SIGNAL_MS = 300;

export interface ServeIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Registers a shutdown handler; returns a function that removes it. */
  readonly onSignal: (handler: (signal: string) => void) => () => void;
  /** The backend monitor's fetch; the global one unless a test passes its own. */
  readonly fetch?: typeof fetch;
}

function kb(n: number): string {
  return n < 1024 ? `${n}B` : `${(n / 1024).toFixed(1)}KB`;
}

/** Resolves with the process exit code once the proxy has stopped. */
export async function runServe(config: ServeConfig, io: ServeIo): Promise<number> {
  const logger = createLogger({ level: config.logLevel, json: config.jsonLogs, write: io.stdout });
  const host = new ProxyHost(config, {
    fetch: io.fetch ?? globalThis.fetch,
    ...(config.settingsDir === null ? {} : { warmStore: fileWarmStore(config.settingsDir) }),
    onBattery: linuxOnBattery,
  });
  const proxy = host.createProxy();
  host.session.on('found', (line) => logger.info(line));
  // A context too small for the prompts: said once per model and window, like the tray does.
  host.session.on('notice', (message) => logger.warn(message));

  proxy.on('request', (e) => {
    // --log-level warn is for heavy traffic: don't format lines nobody will see.
    if (!logger.enabled('info')) return;
    const fields = {
      status: e.status, ms: Math.round(e.durationMs), in: kb(e.bytesIn), out: kb(e.bytesOut),
      rewritten: e.rewritten ? e.rule ?? 'yes' : 'no', ...(e.note ? { note: e.note } : {}),
      ...(e.upstreamErrors ? { upstream: e.upstreamErrors.map((u) => (u.retried ? `${u.code} on a stale connection, retried on a fresh one` : u.code)).join('; ') } : {}),
    };
    if (config.jsonLogs) logger.info('request', { method: e.method, path: e.path, ...fields });
    else logger.info(`${e.method} ${e.path}`, fields);
  });
  if (config.explain) {
    proxy.on('call', (record) => io.stdout(formatExplainLine(record) + '\n'));
    host.warmer.on('warm-up', (record) => {
      if (record.outcome !== 'running') io.stdout(warmUpLine(record) + '\n');
    });
    // A slow first token gets its own line as it happens: the prediction against the real wait.
    proxy.on('in-flight', ({ type, call }) => {
      if (type === 'first-token' && call.elapsedMs > SLOW_WAIT_MS) io.stdout(firstTokenLine(call) + '\n');
    });
  }

  // Listening only once the backend told its models' renderers (or did not answer in time), so that a client
  // already waiting for the port gets its first call folded and estimated as its model renders it.
  host.start();
  await host.session.firstLook();
  let address: { host: string; port: number };
  try {
    address = await proxy.start();
  } catch (err) {
    host.stop();
    const e = err as NodeJS.ErrnoException;
    const where = `${config.proxy.host}:${config.proxy.port}`;
    if (e.code === 'EADDRINUSE') io.stderr(`llm-cache-proxy: port ${config.proxy.port} on ${config.proxy.host} is already in use (another llm-cache-proxy or the menu-bar app?); pick another with --port\n`);
    else if (e.code === 'EACCES') io.stderr(`llm-cache-proxy: not allowed to listen on ${where}; use a port above 1023\n`);
    else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') io.stderr(`llm-cache-proxy: ${config.proxy.host} is not an address of this machine\n`);
    else io.stderr(`llm-cache-proxy: cannot listen on ${where}: ${e.message}\n`);
    return 2;
  }

  const shownHost = address.host.includes(':') ? `[${address.host}]` : address.host;
  io.stdout(`llm-cache-proxy listening on http://${shownHost}:${address.port} -> ${config.proxy.target}\n`);

  return new Promise<number>((resolve) => {
    let stoppingSince: number | null = null;
    const removeHandler = io.onSignal((signal) => {
      if (stoppingSince !== null) {
        // conf's atomic writer (when-exit) re-raises the first signal to itself at
        // once; only a second signal from a person means "stop waiting".
        if (performance.now() - stoppingSince < REPEAT_SIGNAL_MS) return;
        io.stderr(`llm-cache-proxy: ${signal} again, exiting now\n`);
        removeHandler();
        resolve(130);
        return;
      }
      stoppingSince = performance.now();
      io.stderr(`llm-cache-proxy: ${signal}, finishing in-flight requests (up to ${SHUTDOWN_GRACE_MS / 1000} s)\n`);
      host.stop();
      void proxy.stop(SHUTDOWN_GRACE_MS).then(() => {
        removeHandler();
        resolve(0);
      });
    });
  });
}
