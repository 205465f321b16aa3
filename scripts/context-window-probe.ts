// Which environment variable moves real Claude Code's idea of the context
// window? Runs the real client against the scripted upstream with
// each candidate setting and prints:
//   1. the context window `claude -p --output-format json` reports (modelUsage
//      contextWindow), whether it refuses, and the max_tokens it sends;
//   2. what `/context` shows in an interactive session (tmux);
//   3. in a long --resume conversation whose usage grows like a real backend's,
//      the turn at which the client sends its summarisation (compaction) call.
// Findings: docs/claude-code-context.md.
//
//   npm run build && node dist/scripts/context-window-probe.js --clients /tmp [--client 2.1.332] [--turns 24] [--part figures,context,compaction]
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startScriptedUpstream, type CapturedCall, type Reply } from './record-upstream.js';
import { clientBin, clientEnv, spawnClient } from './record-sessions.js';
import { contextWindowOf, isSummaryBody, resultJson, sandbox } from './client-sandbox.js';
import { InteractiveClaude } from './record-tmux.js';

type Env = Readonly<Record<string, string>>;

const VARIANTS: ReadonlyArray<{ readonly label: string; readonly env: Env }> = [
  { label: '(none)', env: {} },
  { label: 'MAX_CONTEXT_TOKENS=8192', env: { CLAUDE_CODE_MAX_CONTEXT_TOKENS: '8192' } },
  { label: 'MAX_CONTEXT_TOKENS=8192 MAX_OUTPUT_TOKENS=4096', env: { CLAUDE_CODE_MAX_CONTEXT_TOKENS: '8192', CLAUDE_CODE_MAX_OUTPUT_TOKENS: '4096' } },
  { label: 'AUTO_COMPACT_WINDOW=8192', env: { CLAUDE_CODE_AUTO_COMPACT_WINDOW: '8192' } },
  { label: 'AUTO_COMPACT_WINDOW=8192 MAX_OUTPUT_TOKENS=4096', env: { CLAUDE_CODE_AUTO_COMPACT_WINDOW: '8192', CLAUDE_CODE_MAX_OUTPUT_TOKENS: '4096' } },
  { label: 'both=8192 MAX_OUTPUT_TOKENS=4096', env: { CLAUDE_CODE_MAX_CONTEXT_TOKENS: '8192', CLAUDE_CODE_AUTO_COMPACT_WINDOW: '8192', CLAUDE_CODE_MAX_OUTPUT_TOKENS: '4096' } },
  { label: 'MAX_CONTEXT_TOKENS=32768', env: { CLAUDE_CODE_MAX_CONTEXT_TOKENS: '32768' } },
  { label: 'AUTO_COMPACT_WINDOW=32768', env: { CLAUDE_CODE_AUTO_COMPACT_WINDOW: '32768' } },
];

const isSummaryCall = (call: CapturedCall) => isSummaryBody(call.body);

/** How the upstream reports a prompt of `tokens` tokens in usage. */
type UsageReport = (tokens: number) => { inputTokens: number; cacheReadTokens?: number };

/** A reply long enough that the conversation grows by a realistic step each turn; the prompt counts request chars / 4. */
function answerer(report: UsageReport = (tokens) => ({ inputTokens: tokens })): (call: CapturedCall) => Reply {
  return (call) => {
    const usage = report(Math.ceil(call.body.length / 4));
    if (isSummaryCall(call)) return { ...usage, content: [{ type: 'text', text: '<analysis>The user asked about KV caches.</analysis>\n<summary>The user asked about KV caches; the assistant explained prefix reuse.</summary>' }] };
    const text = 'A KV cache keeps the keys and values of tokens already read, so a prompt whose prefix is unchanged is not read again. '.repeat(16);
    return { ...usage, content: [{ type: 'text', text }] };
  };
}
const answer = answerer();

async function figures(bin: string): Promise<void> {
  console.log('\n## 1. claude -p --output-format json "hi": context window, refusal, max_tokens sent');
  console.log('| env | flags | result | terminal_reason | contextWindow | calls | max_tokens sent |');
  console.log('|---|---|---|---|---|---|---|');
  for (const variant of VARIANTS) {
    for (const flags of [['--bare'], []]) {
      const box = sandbox();
      const upstream = await startScriptedUpstream(answer);
      try {
        const run = await spawnClient(bin, ['-p', ...flags, '--output-format', 'json', 'hi'], clientEnv(upstream.url, box.home, box.tmp, variant.env), box.project);
        const json = resultJson(run.stdout);
        const sent = upstream.calls.map((c) => (JSON.parse(c.body) as { max_tokens?: number }).max_tokens).join(',');
        console.log(`| ${variant.label} | -p ${flags.join(' ')} | ${String(json?.['result'] ?? run.stderr.trim()).slice(0, 40)} | ${String(json?.['terminal_reason'] ?? '')} | ${contextWindowOf(json) ?? '-'} | ${upstream.calls.length} | ${sent || '-'} |`);
      } finally {
        await upstream.close();
        box.dispose();
      }
    }
  }
}

async function contextCommand(bin: string): Promise<void> {
  console.log('\n## 2. /context in an interactive session (tmux), full and --bare');
  const chosen = VARIANTS.filter((v) => ['(none)', 'MAX_CONTEXT_TOKENS=8192 MAX_OUTPUT_TOKENS=4096', 'AUTO_COMPACT_WINDOW=8192 MAX_OUTPUT_TOKENS=4096', 'MAX_CONTEXT_TOKENS=32768', 'AUTO_COMPACT_WINDOW=32768'].includes(v.label));
  for (const variant of chosen) {
    for (const flags of [[], ['--bare']]) {
      const box = sandbox();
      const upstream = await startScriptedUpstream(answer);
      let session: InteractiveClaude | undefined;
      try {
        session = await InteractiveClaude.start(`cc-context-${process.pid}`, bin, clientEnv(upstream.url, box.home, box.tmp, variant.env), box.project, flags);
        await session.send('/context');
        await session.waitForScreen('Autocompact buffer', 60_000);
        await new Promise((r) => setTimeout(r, 1000));
        const lines = (await session.screen(true)).split('\n').map((l) => l.replace(/[\u2580-\u259f\u26c0-\u26ff]/g, '').trim())
          .filter((l) => /tokens|window|isn't recognized|reads as|^[^\w]*(System prompt|System tools|Skills|Memory|Messages|MCP tools|Custom agents|Free space|Autocompact buffer):/i.test(l) && !/^[├└]|Estimated tokens/.test(l) && !/^(❯ )?\/context/.test(l));
        console.log(`\n${variant.label}, claude ${flags.join(' ')}:\n  ${lines.join('\n  ').replace(box.project, '<project>')}`);
      } catch (err) {
        console.log(`\n${variant.label}, claude ${flags.join(' ')}: ${err instanceof Error ? err.message.split('\n').slice(0, 30).join('\n  ') : String(err)}`);
      } finally {
        await session?.close();
        await upstream.close();
        box.dispose();
      }
    }
  }
}

const SMALL_WINDOW = { CLAUDE_CODE_MAX_CONTEXT_TOKENS: '32768', CLAUDE_CODE_MAX_OUTPUT_TOKENS: '4096' };
const COMPACTION_VARIANTS: ReadonlyArray<{ readonly label: string; readonly env: Env; readonly usage?: UsageReport }> = [
  ...VARIANTS.filter((v) => v.label.includes('MAX_OUTPUT') || v.label === '(none)' || v.label.includes('32768')),
  { label: 'MAX_CONTEXT_TOKENS=32768 MAX_OUTPUT_TOKENS=4096', env: SMALL_WINDOW },
  { label: 'MAX_CONTEXT_TOKENS=32768 MAX_OUTPUT_TOKENS=4096, upstream reports usage x2', env: SMALL_WINDOW, usage: (t) => ({ inputTokens: 2 * t }) },
  { label: 'MAX_CONTEXT_TOKENS=32768 MAX_OUTPUT_TOKENS=4096, upstream reports 90% as cache_read_input_tokens', env: SMALL_WINDOW, usage: (t) => ({ inputTokens: Math.ceil(t / 10), cacheReadTokens: t - Math.ceil(t / 10) }) },
  { label: 'MAX_CONTEXT_TOKENS=32768 MAX_OUTPUT_TOKENS=4096, upstream reports only 10% (new tokens), no cache figure', env: SMALL_WINDOW, usage: (t) => ({ inputTokens: Math.ceil(t / 10) }) },
  // The 100k floor of CLAUDE_CODE_AUTO_COMPACT_WINDOW, reached in fewer turns by a backend that counts 5x.
  { label: 'AUTO_COMPACT_WINDOW=100000 MAX_OUTPUT_TOKENS=4096, upstream reports usage x5', env: { CLAUDE_CODE_AUTO_COMPACT_WINDOW: '100000', CLAUDE_CODE_MAX_OUTPUT_TOKENS: '4096' }, usage: (t) => ({ inputTokens: 5 * t }) },
  { label: '(no window setting) MAX_OUTPUT_TOKENS=4096, upstream reports usage x5', env: { CLAUDE_CODE_MAX_OUTPUT_TOKENS: '4096' }, usage: (t) => ({ inputTokens: 5 * t }) },
];

async function compaction(bin: string, turns: number): Promise<void> {
  console.log(`\n## 3. Long conversation (claude -p --bare, --resume each turn, up to ${turns} turns); usage input_tokens = request chars / 4`);
  console.log('Per turn: m<tokens> a main call, S<tokens> a compaction (summary) request, tokens = request chars / 4.');
  const long = 'Explain once more, in other words, why a KV cache needs a byte-stable prefix. '.repeat(24);
  const only = process.env['PROBE_ONLY'];
  for (const variant of COMPACTION_VARIANTS.filter((v) => !only || v.label.includes(only))) {
    const box = sandbox();
    const upstream = await startScriptedUpstream(answerer(variant.usage));
    const env = clientEnv(upstream.url, box.home, box.tmp, variant.env);
    const id = randomUUID();
    const perTurn: string[] = [];
    let compactedAt: number | undefined;
    let largestBefore = 0;
    try {
      for (let turn = 1; turn <= turns; turn++) {
        const before = upstream.calls.length;
        const run = await spawnClient(bin, ['-p', '--bare', '--output-format', 'json', ...(turn === 1 ? ['--session-id', id] : ['--resume', id]), `Turn ${turn}. ${long}`], env, box.project);
        const json = resultJson(run.stdout);
        const calls = upstream.calls.slice(before);
        const sizes = calls.map((c) => `${isSummaryCall(c) ? 'S' : 'm'}${Math.ceil(c.body.length / 4)}`).join('+');
        const reason = json?.['terminal_reason'];
        perTurn.push(`t${turn}:${sizes || '-'}${reason && reason !== 'completed' ? `(${String(reason)})` : ''}`);
        if (calls.some(isSummaryCall) && compactedAt === undefined) compactedAt = turn;
        if (compactedAt === undefined) largestBefore = Math.max(largestBefore, ...calls.map((c) => Math.ceil(c.body.length / 4)));
        if (reason === 'blocking_limit' || run.code !== 0) break;
        if (compactedAt !== undefined && turn >= compactedAt + 2) break;
      }
      console.log(`\n${variant.label}: ${compactedAt ? `first compaction at turn ${compactedAt}` : 'no compaction'}; largest prompt before it ~${largestBefore} tokens`);
      console.log(`  ${perTurn.join(' ')}`);
    } finally {
      await upstream.close();
      box.dispose();
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: process.env['RECORD_CLIENTS_DIR'] },
      client: { type: 'string', default: '2.1.332' },
      turns: { type: 'string', default: '24' },
      part: { type: 'string', default: 'figures,context,compaction' },
    },
  });
  if (!values.clients) throw new Error('Say where the Claude Code clients live: --clients <dir> (or RECORD_CLIENTS_DIR), a folder holding cc-<version>/.');
  const bin = clientBin(resolve(values.clients), values.client!);
  const parts = values.part!.split(',');
  console.log(`Claude Code ${values.client} (${bin.replace(resolve(values.clients), '<clients>')})`);
  if (parts.includes('figures')) await figures(bin);
  if (parts.includes('context')) await contextCommand(bin);
  if (parts.includes('compaction')) await compaction(bin, Number(values.turns));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
