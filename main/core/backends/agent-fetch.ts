// The monitor's fetch for an https target with a private certificate
// authority: Node's global fetch cannot be given extra roots, so this sends
// the monitor's few small GETs through an https.Agent instead.
import https from 'node:https';
import http from 'node:http';

/** Enough of fetch for requestJson: method, headers, body, signal; the answer as a Response. */
export function agentFetch(agent: http.Agent): typeof fetch {
  return ((input: string | URL | Request, init: RequestInit = {}) => new Promise<Response>((resolve, reject) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const transport = url.protocol === 'https:' ? https : http;
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const req = transport.request(url, { method: init.method ?? 'GET', headers, agent, signal: init.signal ?? undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 502 })));
      res.on('error', reject);
    });
    req.on('error', (err) => reject(Object.assign(new TypeError('fetch failed'), { cause: err })));
    req.end(typeof init.body === 'string' ? init.body : undefined);
  })) as typeof fetch;
}
