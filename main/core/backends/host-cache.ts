// Whether a backend keeps llama-server's host-memory prompt cache
// (`--cache-ram`, 8,192 MiB by default; diagnostics/prompt-cache.ts), which
// gives a conversation back after another prompt took its slot. llama-server
// has it on by default. Ollama runs every GGUF model on llama-server since
// 0.30.0 (9db4bdbad, "Remove CGO engines, use llama-server exclusively for GGML
// models") and starts it without `--cache-ram`, so the default holds; before
// 0.30 its own runners kept no such cache. An Ollama whose version is not known
// yet is taken as a current one. vLLM and SGLang keep prefix caches of their
// own, which the estimate models as many slots (--slots); LM Studio and
// routers are not known to.
import type { BackendKind } from '../wire/types.js';

/** The first Ollama release that runs GGUF models on llama-server. */
const OLLAMA_LLAMA_SERVER = [0, 30] as const;

export function keepsPromptCache(kind: BackendKind | 'unknown' | null | undefined, version: string | null | undefined): boolean {
  if (kind === 'llama-server') return true;
  if (kind !== 'ollama') return false;
  const parts = /^v?(\d+)\.(\d+)/.exec(version ?? '');
  if (parts === null) return true;
  const [major, minor] = [Number(parts[1]), Number(parts[2])];
  return major > OLLAMA_LLAMA_SERVER[0] || (major === OLLAMA_LLAMA_SERVER[0] && minor >= OLLAMA_LLAMA_SERVER[1]);
}
