// Answers Ollama gives the same way everywhere, shared by the Ollama stand-in
// and the llama.cpp engine's Ollama-shaped server.
import type http from 'node:http';

/** `GET`/`HEAD /`: Ollama's health answer. */
export function sendOllamaRunning(res: http.ServerResponse, method: string): void {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '17' });
  res.end(method === 'HEAD' ? undefined : 'Ollama is running');
}

/** Ollama serves no count_tokens (nor any other unknown route); Gin answers them like this. */
export function sendGinNotFound(res: http.ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('404 page not found');
}

/**
 * `POST /api/show`'s model (server/routes.go ShowHandler: `model`, or the
 * older `name`), or the status and `{"error"}` text Ollama refuses it with.
 */
export function showRequestModel(body: Buffer): { model: string } | { status: number; error: string } {
  let request: { model?: unknown; name?: unknown };
  try {
    request = JSON.parse(body.toString('utf8')) as typeof request;
  } catch {
    return { status: 400, error: 'invalid request' };
  }
  const model = typeof request.model === 'string' && request.model !== '' ? request.model : request.name;
  return typeof model === 'string' && model !== '' ? { model } : { status: 400, error: 'model is required' };
}
