// When the engine notices that a call's client has left while its prompt is
// being read, as Ollama notices it. The engine then stops at the next batch
// boundary, keeping in its slot what it read (slots.ts runNow).
//
// Ollama 0.30 and later (GGUF models run on llama-server): llm/llama_server.go
// `Completion` sends the request to llama-server with the client's request
// context, so a client that leaves cancels it and Go's HTTP client closes that
// connection at once. llama-server's handler waits for the task's results in
// turns of HTTP_POLLING_SECONDS, 1 s (tools/server/server-queue.cpp
// `server_response_reader::next`: `recv_with_timeout`), and only when a turn
// passes with no result does it ask whether the connection is closed
// (server-http.cpp hands it httplib's `is_connection_closed` as `should_stop`);
// then it cancels the task. While a prompt is read, no result comes, so the
// question is asked once a second from the request's arrival: the cancel comes
// at the first such tick after the client left.
//
// Ollama 0.29 and earlier ran their own runner (runner/ollamarunner/runner.go):
// a client that left closed `seq.quit`, which nothing reads while the prompt is
// processed; the sequence went on to its first sampled token, where
// `flushPending` met the closed channel and `removeSequence` freed the slot,
// whose `cache.Inputs` then held the whole prompt. That is `after-prompt`.
export type DisconnectRule =
  /** Noticed at the first poll after the client left; a poll every `pollMs` from the request's arrival (0: at once). */
  | { readonly pollMs: number }
  /** Never noticed while the prompt is read: the whole prompt is evaluated, and the answer stops at its first token. */
  | 'after-prompt';

/** Ollama as it is: llama-server's one-second poll. */
export const OLLAMA_DISCONNECT: DisconnectRule = { pollMs: 1000 };

/** `--disconnect`: `poll:<ms>` or `after-prompt`; null when the text names neither. */
export function parseDisconnectRule(text: string): DisconnectRule | null {
  if (text === 'after-prompt') return 'after-prompt';
  const poll = /^poll:(\d+)$/.exec(text);
  return poll === null ? null : { pollMs: Number(poll[1]) };
}

/**
 * The check the engine asks before each batch: true once the client has left
 * (`closedAt` is when the server saw its connection close) and the rule has
 * noticed it.
 */
export function noticedBy(rule: DisconnectRule, arrivedAt: number, closedAt: () => number | null, now: () => number = Date.now): () => boolean {
  if (rule === 'after-prompt') return () => false;
  const { pollMs } = rule;
  return () => {
    const closed = closedAt();
    if (closed === null) return false;
    if (pollMs <= 0) return true;
    const tick = arrivedAt + Math.max(1, Math.ceil((closed - arrivedAt) / pollMs)) * pollMs;
    return now() >= tick;
  };
}
