import { affinityTargets } from '../backends/router-affinity.js';
import type { Settings } from '../settings/schema.js';
import type { ProxyOptions } from './types.js';

/** The proxy as the settings file describes it (the app's and the CLI's starting point). */
export function proxyOptionsFromSettings(s: Readonly<Settings>): ProxyOptions {
  return {
    host: s.host,
    port: s.port,
    target: s.target,
    rewrite: s.rewrite,
    inlineSystem: s.inlineSystem,
    maxBodyBytes: s.maxBodyBytes,
    token: s.token || undefined,
    allowOrigins: [...s.allowOrigins],
    allowHosts: [],
    cacheUsage: s.cacheUsage,
    slots: s.slots,
    sideModel: s.sideModel,
    upstreamTimeoutMs: 0,
    affinityHeaders: affinityTargets(s.affinityHeaders, s.router === 'none' ? null : s.router),
    upstreamAuth: s.upstreamAuth || undefined,
    promptExcerpts: s.promptExcerpts,
  };
}
