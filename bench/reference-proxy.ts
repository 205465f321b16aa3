// The floor the benchmark holds the proxy against: a forwarder with no
// framework, no body buffering, no rewrite and no diagnostics, just Node's
// http piping each request to the target over kept-alive connections. On a
// small machine even this costs a stream some throughput, and that share is
// the machine's, not the proxy's.
//   node dist/bench/bare-proxy.js --target http://127.0.0.1:11434 [--port 0]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { target: { type: 'string' }, port: { type: 'string', default: '0' } } });
if (!values.target) throw new Error('bare-proxy needs --target');
const target = new URL(values.target);
const agent = new http.Agent({ keepAlive: true });

const server = http.createServer({ noDelay: true }, (req, res) => {
  const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
});
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`bare proxy listening on http://127.0.0.1:${(server.address() as AddressInfo).port} -> ${target.href}\n`);
});
process.on('SIGTERM', () => process.exit(0));
