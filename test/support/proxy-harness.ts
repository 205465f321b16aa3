import { createProxy, type ProxyServer } from '../../main/core/proxy/server.js';
import type { ProxyOptions } from '../../main/core/proxy/types.js';
import { uiRoutes } from '../../main/core/ui/routes.js';
import { startOllamaStandin, type OllamaStandin, type StandinOptions } from './ollama-standin.js';

export interface Harness {
  readonly standin: OllamaStandin;
  readonly proxy: ProxyServer;
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A stand-in backend and a proxy in front of it serving the Activity page, both on free loopback ports. */
export async function startHarness(options: Partial<ProxyOptions> = {}, standinOptions: StandinOptions = {}): Promise<Harness> {
  const standin = await startOllamaStandin(standinOptions);
  const proxy = createProxy({ host: '127.0.0.1', port: 0, target: standin.url, rewrite: 'drop', maxBodyBytes: 64 * 1024 * 1024, pages: [uiRoutes()], ...options });
  const { port } = await proxy.start();
  return {
    standin,
    proxy,
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      await proxy.stop(100);
      await standin.close();
    },
  };
}

/** Runs `run` against a fresh harness whose stand-in answers at once, and closes it whatever happens. */
export async function withQuickHarness(options: Partial<ProxyOptions>, run: (h: Harness) => Promise<void>): Promise<void> {
  const h = await startHarness(options, { timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 3 } });
  try {
    await run(h);
  } finally {
    await h.close();
  }
}
