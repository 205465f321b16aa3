// The floors the benchmark holds the proxy against, run as processes of
// their own beside it:
// - `bare`: no framework, no body buffering, no rewrite and no diagnostics,
//   just Node's http piping each request to the target. On a small machine
//   even this costs a stream some throughput and a call some latency, and
//   that share is the machine's, not the proxy's.
// - `framework`: Express 5 and http-proxy-middleware 3, the stack the proxy
//   is built on, forwarding everything as configured out of the box (plus a
//   kept-alive agent, which any sensible setup has). What it costs is the
//   stack's; what the proxy costs beyond it is the proxy's own work.
//   node dist/bench/reference-proxy.js --kind bare|framework --target http://127.0.0.1:11434 [--port 0]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';

const { values } = parseArgs({ options: { kind: { type: 'string' }, target: { type: 'string' }, port: { type: 'string', default: '0' } } });
const { target: targetUrl } = values;
if (!targetUrl) throw new Error('reference-proxy needs --target');
const target = new URL(targetUrl);
const agent = new http.Agent({ keepAlive: true });

function bareNode(req: http.IncomingMessage, res: http.ServerResponse): void {
  const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

function framework(): http.RequestListener {
  return express().use(createProxyMiddleware({ target: targetUrl, changeOrigin: true, agent }));
}

const handlers: Record<string, () => http.RequestListener> = { bare: () => bareNode, framework };
const handler = handlers[values.kind ?? ''];
if (!handler) throw new Error(`reference-proxy --kind must be one of: ${Object.keys(handlers).join(', ')}`);

const server = http.createServer({ noDelay: true }, handler());
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${values.kind} proxy listening on http://127.0.0.1:${(server.address() as AddressInfo).port} -> ${target.href}\n`);
});
process.on('SIGTERM', () => process.exit(0));
