// A backend whose keep-alive connections die at the edge of its idle timeout,
// on real sockets. Go's net/http (Ollama) and llama-server close a connection
// that sat idle past their timeout; when a client's next request leaves just
// as that happens, the request meets a socket the server is closing and is
// reset unread. Here that edge is made exact: a request that arrives on a
// connection idle for `idleTimeoutMs` or more is reset without being read,
// as if the server's timer had fired a moment before it arrived.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface IdleClosingBackend {
  readonly url: string;
  /** Connections accepted. */
  connections: number;
  /** Requests read and answered. */
  answered: number;
  /** Requests reset unread on an idle connection. */
  discarded: number;
  /** Reset every request, even on a fresh connection (a backend that is failing). */
  resetAll: boolean;
  close(): Promise<void>;
}

const HEAD_END = '\r\n\r\n';

const MESSAGE = JSON.stringify({
  id: 'msg_standin', type: 'message', role: 'assistant', model: 'qwen3:test',
  content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 1 },
});

function response(path: string): string {
  const json = path.startsWith('/v1/messages');
  const body = json ? MESSAGE : 'Ollama is running';
  const type = json ? 'application/json' : 'text/plain; charset=utf-8';
  return `HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: keep-alive\r\n\r\n${body}`;
}

export async function startIdleClosingBackend(idleTimeoutMs: number): Promise<IdleClosingBackend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    // null while a request is being read or before the first one.
    let idleSince: number | null = null;
    socket.on('data', (chunk: Buffer) => {
      const startsRequest = pending.length === 0;
      if (startsRequest && (state.resetAll || (idleSince !== null && performance.now() - idleSince >= idleTimeoutMs))) {
        state.discarded++;
        socket.resetAndDestroy();
        return;
      }
      idleSince = null;
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const headEnd = pending.indexOf(HEAD_END);
        if (headEnd < 0) return;
        const head = pending.toString('latin1', 0, headEnd);
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        const end = headEnd + HEAD_END.length + length;
        if (pending.length < end) return;
        const path = head.split(' ')[1] ?? '/';
        pending = pending.subarray(end);
        state.answered++;
        socket.write(response(path));
        if (pending.length === 0) idleSince = performance.now();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const state: IdleClosingBackend = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: 0,
    answered: 0,
    discarded: 0,
    resetAll: false,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}
