// The two floors the benchmarks hold the proxy against (see reference-proxy.ts,
// which serves them as processes of their own; request-path-cost.ts runs them
// in its own process):
// - `bare`: no framework, no body buffering, no rewrite and no diagnostics,
//   just Node's http piping each request to the target;
// - `framework`: Express 5 and http-proxy-middleware 3, the stack the proxy
//   is built on, forwarding everything as configured out of the box (plus a
//   kept-alive agent, which any sensible setup has).
import http from 'node:http';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';

export type ReferenceKind = 'bare' | 'framework';

export const REFERENCE_KINDS: readonly ReferenceKind[] = ['bare', 'framework'];

export function isReferenceKind(kind: string): kind is ReferenceKind {
  return (REFERENCE_KINDS as readonly string[]).includes(kind);
}

export function referenceHandler(kind: ReferenceKind, targetUrl: string, agent: http.Agent): http.RequestListener {
  if (kind === 'framework') return express().use(createProxyMiddleware({ target: targetUrl, changeOrigin: true, agent }));
  const target = new URL(targetUrl);
  return (req, res) => {
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
}
