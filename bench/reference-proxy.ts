// The floors the benchmark holds the proxy against (reference-handlers.ts),
// run as processes of their own beside it. What the bare one costs a stream
// on a small machine is the machine's share, not the proxy's; what plain
// Express + http-proxy-middleware costs is the stack's; what the proxy costs
// beyond it is the proxy's own work.
//   node dist/bench/reference-proxy.js --kind bare|framework --target http://127.0.0.1:11434 [--port 0]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { isReferenceKind, REFERENCE_KINDS, referenceHandler } from './reference-handlers.js';

const { values } = parseArgs({ options: { kind: { type: 'string' }, target: { type: 'string' }, port: { type: 'string', default: '0' } } });
const { target: targetUrl } = values;
if (!targetUrl) throw new Error('reference-proxy needs --target');
const kind = values.kind ?? '';
if (!isReferenceKind(kind)) throw new Error(`reference-proxy --kind must be one of: ${REFERENCE_KINDS.join(', ')}`);

const server = http.createServer({ noDelay: true }, referenceHandler(kind, targetUrl, new http.Agent({ keepAlive: true })));
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${kind} proxy listening on http://127.0.0.1:${(server.address() as AddressInfo).port} -> ${new URL(targetUrl).href}\n`);
});
process.on('SIGTERM', () => process.exit(0));
