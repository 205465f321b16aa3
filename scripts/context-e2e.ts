// The context window end to end: real Claude Code, through the real headless proxy, to
// the Ollama stand-in reporting a loaded model with a small context window,
// with the environment of the snippet the real `llm-cache-proxy snippet`
// command generates from that backend (run by a real bash), and without it.
// Prints, per window:
//   1. the context window the client reports (`-p --output-format json`,
//      modelUsage contextWindow) with the snippet and without;
//   2. a long `-p --bare` conversation (`--resume` each turn): each turn's
//      calls as the backend saw them, the turn at which the client first sent
//      its summarisation (compaction) request, the largest prompt before it,
//      and whether the proxy's overflow warning fired (its /_proxy/status
//      records' contextOverflow, its CONTEXT OVERFLOW and WARN lines).
// Findings: docs/claude-code-context.md, "Through the proxy, with the snippet".
//
//   npm run build && node dist/scripts/context-e2e.js --clients /tmp [--client 2.1.332] [--windows 8192,32768] [--turns 24] [--part figures,conversation]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { estimateInputTokens, startOllamaStandin, type OllamaStandin } from '../test/support/ollama-standin.js';
import type { CallRecord, ProxyStatus } from '../main/core/wire/types.js';
import { clientBin, clientEnv, spawnClient, type ClientRun } from './record-sessions.js';
import { contextWindowOf, isSummaryBody, resultJson, sandbox, type Sandbox } from './client-sandbox.js';

const MODEL = 'qwen3-coder:30b';
const CLI = fileURLToPath(new URL('../main/cli.js', import.meta.url));

interface RunningProxy {
  readonly url: string;
  readonly port: number;
  /** Everything it printed on stdout and stderr, line by line. */
  readonly lines: string[];
  stop(): Promise<void>;
}

/** `llm-cache-proxy --port 0 --target <backend> --explain`, as a user runs it, with its own empty settings folder. */
function startProxy(target: string, configDir: string): Promise<RunningProxy> {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--target', target, '--explain'], {
    env: { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: configDir }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`the proxy did not start:\n${lines.join('\n')}`)), 15_000);
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter((l) => l !== '')) {
        lines.push(line);
        const url = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(line);
        if (url) {
          clearTimeout(timer);
          resolveStart({
            url: url[1]!, port: Number(url[2]), lines,
            stop: () => new Promise((done) => { child.once('exit', () => done()); child.kill('SIGTERM'); }),
          });
        }
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('exit', (code) => reject(new Error(`the proxy exited with ${code}:\n${lines.join('\n')}`)));
  });
}

/**
 * What a model answers: a summary in the tags the client's summarisation
 * request asks for (without them it asks again), else ~1,800 characters, so
 * each turn adds a question and an answer as in a real conversation.
 */
function answer(body: unknown): string {
  if (isSummaryBody(JSON.stringify(body))) return '<analysis>The user asked about KV caches.</analysis>\n<summary>The user asked, turn after turn, why a KV cache needs a byte-stable prefix; the assistant explained prefix reuse.</summary>';
  return 'A KV cache keeps the keys and values of tokens already read, so a prompt whose prefix is unchanged is not read again. '.repeat(16);
}

/** The real `llm-cache-proxy snippet`, asking the backend for the window (nothing about the window on its command line). */
async function generateSnippet(target: string, port: number, configDir: string): Promise<{ text: string; stderr: string }> {
  const run = await spawnClient(process.execPath, [CLI, 'snippet', '--shell', 'bash', '--bare', '--model', MODEL, '--port', String(port), '--target', target],
    { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: configDir } as Record<string, string>, process.cwd());
  if (run.code !== 0) throw new Error(`llm-cache-proxy snippet exited with ${run.code}: ${run.stderr}`);
  return { text: run.stdout, stderr: run.stderr };
}

interface Rig {
  readonly window: number;
  readonly standin: OllamaStandin;
  readonly proxy: RunningProxy;
  readonly snippetFile: string;
  readonly snippet: { text: string; stderr: string };
  dispose(): Promise<void>;
}

/** A fresh backend, proxy and snippet: each run starts with no overflow already told. */
async function rig(window: number): Promise<Rig> {
  const work = mkdtempSync(join(os.tmpdir(), 'context-e2e-'));
  const standin = await startOllamaStandin({
    models: [{ name: MODEL, contextLength: window }], loaded: [MODEL], timing: { prefillMs: 0, tokenDelayMs: 0, tokens: 24 }, answer, truncateToContext: true,
  });
  const proxy = await startProxy(standin.url, work);
  const snippet = await generateSnippet(standin.url, proxy.port, work);
  const snippetFile = join(work, 'claudel.bash');
  writeFileSync(snippetFile, snippet.text);
  return {
    window, standin, proxy, snippetFile, snippet,
    dispose: async () => {
      await proxy.stop();
      await standin.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** The client's own environment (HOME, PATH with the client first) and nothing of the proxy's. */
function bareEnv(bin: string, box: Sandbox): Record<string, string> {
  const env = clientEnv('', box.home, box.tmp);
  for (const name of Object.keys(env)) if (/^(ANTHROPIC_|CLAUDE_CODE_)/.test(name)) delete env[name];
  return { ...env, PATH: `${dirname(bin)}:${env['PATH']}` };
}

/** `claudel <args>` in a real bash that sourced the generated snippet; or `claude --bare <args>` pointed at the proxy only. */
function runClient(r: Rig, bin: string, box: Sandbox, withSnippet: boolean, args: readonly string[]): Promise<ClientRun> {
  if (withSnippet) return spawnClient('bash', ['--norc', '--noprofile', '-c', '. "$1"; shift; claudel "$@"', 'bash', r.snippetFile, ...args], bareEnv(bin, box), box.project);
  return spawnClient(bin, ['--bare', ...args], clientEnv(r.proxy.url, box.home, box.tmp), box.project);
}

async function proxyRecords(proxy: RunningProxy): Promise<readonly CallRecord[]> {
  const response = await fetch(`${proxy.url}/_proxy/status`);
  return ((await response.json()) as ProxyStatus).recent;
}

/** The proxy's own words about an overflow: the --explain line and the once-per-model warning. */
const overflowLines = (proxy: RunningProxy) => proxy.lines.filter((l) => /CONTEXT OVERFLOW| WARN /.test(l));

async function figures(bin: string, windows: readonly number[]): Promise<void> {
  console.log('\n## 1. claude -p --output-format json "hi" through the proxy: the context window the client reports');
  for (const window of windows) {
    const r = await rig(window);
    try {
      console.log(`\nBackend: /api/ps reports ${MODEL} loaded with context_length ${window}. The snippet's window lines:`);
      for (const line of r.snippet.text.split('\n').filter((l) => /Context window:|CLAUDE_CODE_MAX_/.test(l))) console.log(`  ${line.trim()}`);
      for (const withSnippet of [true, false]) {
        const box = sandbox();
        try {
          const run = await runClient(r, bin, box, withSnippet, ['-p', '--output-format', 'json', 'hi']);
          const json = resultJson(run.stdout);
          console.log(`  ${withSnippet ? 'with the snippet (claudel)   ' : 'without it (claude --bare)   '}: contextWindow ${contextWindowOf(json) ?? '-'}, terminal_reason ${String(json?.['terminal_reason'] ?? run.stderr.trim())}`);
        } finally {
          box.dispose();
        }
      }
    } finally {
      await r.dispose();
    }
  }
}

interface TurnCall {
  readonly summary: boolean;
  /** The prompt as sent, in the backend's count (it reports at most its window in usage, having cut the rest). */
  readonly tokens: number;
}

async function conversation(bin: string, window: number, withSnippet: boolean, turns: number): Promise<void> {
  const r = await rig(window);
  const box = sandbox();
  // Each question about a sixteenth of the window, so the prompt passes the window in about 16 turns.
  const sentence = 'Explain once more, in other words, why a KV cache needs a byte-stable prefix. ';
  const question = sentence.repeat(Math.ceil((window / 16) * 4 / sentence.length));
  const id = randomUUID();
  const perTurn: string[] = [];
  let compactedAt: number | undefined;
  let overflowAt: number | undefined;
  let largestBefore = 0;
  let largest = 0;
  try {
    for (let turn = 1; turn <= turns; turn++) {
      const before = r.standin.requests.length;
      const run = await runClient(r, bin, box, withSnippet, ['-p', '--output-format', 'json', ...(turn === 1 ? ['--session-id', id] : ['--resume', id]), `Turn ${turn}. ${question}`]);
      const json = resultJson(run.stdout);
      const calls: TurnCall[] = r.standin.requests.slice(before).filter((q) => q.method === 'POST' && q.url.startsWith('/v1/messages'))
        .map((q) => ({ summary: isSummaryBody(q.body.toString('utf8')), tokens: estimateInputTokens(JSON.parse(q.body.toString('utf8'))) }));
      const overflowed = (await proxyRecords(r.proxy)).some((record) => record.contextOverflow);
      if (overflowed && overflowAt === undefined) overflowAt = turn;
      const reason = json?.['terminal_reason'];
      perTurn.push(`t${turn}:${calls.map((c) => `${c.summary ? 'S' : 'm'}${c.tokens}`).join('+') || '-'}${reason && reason !== 'completed' ? `(${String(reason)})` : ''}${overflowAt === turn ? '!' : ''}`);
      if (calls.some((c) => c.summary) && compactedAt === undefined) compactedAt = turn;
      largest = Math.max(largest, ...calls.map((c) => c.tokens));
      if (compactedAt === undefined) largestBefore = Math.max(largestBefore, ...calls.map((c) => c.tokens));
      if (reason === 'blocking_limit' || run.code !== 0) {
        perTurn.push(`(client exited ${run.code}: ${(run.stderr.trim() || String(json?.['result'] ?? '')).slice(0, 120)})`);
        break;
      }
      if (compactedAt !== undefined && turn >= compactedAt + 3) break;
      if (overflowAt !== undefined && turn >= overflowAt + 1) break;
    }
    const records = await proxyRecords(r.proxy);
    const flagged = records.filter((record) => record.contextOverflow);
    console.log(`\n${window}-token window, ${withSnippet ? 'with the snippet' : 'without the snippet'}: `
      + `${compactedAt ? `first compaction at turn ${compactedAt} (largest prompt before it ${largestBefore} tokens)` : `no compaction in ${perTurn.length} turns`}; `
      + `largest prompt the proxy saw ${largest} tokens; overflow warning ${flagged.length > 0 ? `FIRED at turn ${overflowAt} (${flagged.length} of ${records.length} records carry contextOverflow)` : `did not fire (0 of ${records.length} records carry contextOverflow)`}`);
    console.log(`  ${perTurn.join(' ')}`);
    for (const line of overflowLines(r.proxy)) console.log(`  proxy: ${line.slice(0, 260)}`);
  } finally {
    box.dispose();
    await r.dispose();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: process.env['RECORD_CLIENTS_DIR'] },
      client: { type: 'string', default: '2.1.332' },
      windows: { type: 'string', default: '8192,32768' },
      turns: { type: 'string', default: '24' },
      part: { type: 'string', default: 'figures,conversation' },
    },
  });
  if (!values.clients) throw new Error('Say where the Claude Code clients live: --clients <dir> (or RECORD_CLIENTS_DIR), a folder holding cc-<version>/.');
  const bin = clientBin(resolve(values.clients), values.client!);
  const windows = values.windows!.split(',').map(Number);
  const parts = values.part!.split(',');
  console.log(`Claude Code ${values.client}, through llm-cache-proxy (dist/main/cli.js) to the Ollama stand-in`);
  if (parts.includes('figures')) await figures(bin, windows);
  if (parts.includes('conversation')) {
    console.log(`\n## 2. Long conversation: claudel -p (--bare), --resume each turn; per turn m<tokens> a main call, S<tokens> a summarisation request, `
      + '! the turn the proxy flagged an overflow; tokens are the prompt as sent, as the backend counts them (it reports that in usage input_tokens, cut to its window like Ollama)');
    for (const window of windows) {
      for (const withSnippet of [true, false]) await conversation(bin, window, withSnippet, Number(values.turns));
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
