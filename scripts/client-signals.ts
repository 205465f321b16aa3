// What a starting Claude Code sends before its user's first prompt: is there
// a signal the proxy could warm the backend on? Runs the real client
// interactively (in tmux, a pseudo-terminal) from a throwaway HOME against the
// scripted upstream, waits at the empty prompt, then types one prompt, and
// prints every request it saw in order: method, path, header names, and for a
// Messages call a summary of its body (never its text).
//
//   npm run build && node dist/scripts/client-signals.js [--bin claude] [--wait 20] [--nonessential on|off]
//
// --nonessential off (the default) sets CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
// as the claudel snippet does; on leaves it unset.
import { parseArgs } from 'node:util';
import { sandbox } from './client-sandbox.js';
import { clientEnv } from './record-sessions.js';
import { InteractiveClaude } from './record-tmux.js';
import { startScriptedUpstream, type CapturedCall, type SeenRequest } from './record-upstream.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Body {
  model?: string;
  stream?: boolean;
  max_tokens?: number;
  system?: unknown;
  tools?: unknown[];
  messages?: unknown[];
}

/** A Messages body in sizes and counts only: what kind of call it is, never what it says. */
export function bodySummary(text: string): string {
  let body: Body;
  try {
    body = JSON.parse(text) as Body;
  } catch {
    return `${text.length} bytes, not JSON`;
  }
  const system = JSON.stringify(body.system ?? '').length;
  return `model ${body.model ?? '?'}, stream ${String(body.stream ?? false)}, max_tokens ${body.max_tokens ?? '?'}, `
    + `${body.tools?.length ?? 0} tools, system ${system} chars, ${body.messages?.length ?? 0} messages, ${text.length} bytes`;
}

function describe(request: SeenRequest, start: number, calls: readonly CapturedCall[]): string {
  const call = calls.find((c) => c.at === request.at && c.path === request.path);
  const headers = Object.keys(request.headers).filter((h) => h.startsWith('x-claude-code-') || h.startsWith('anthropic-')).sort();
  const when = ((request.at - start) / 1000).toFixed(1).padStart(6);
  return `${when} s  ${request.method} ${request.path}  [${headers.join(' ')}]${call === undefined ? '' : `  ${bodySummary(call.body)}`}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bin: { type: 'string', default: 'claude' },
      wait: { type: 'string', default: '20' },
      nonessential: { type: 'string', default: 'off' },
    },
  });
  const box = sandbox();
  const { home, project, tmp } = box;
  const upstream = await startScriptedUpstream((call) => {
    const tools = (JSON.parse(call.body) as Body).tools?.length ?? 0;
    return { content: [{ type: 'text', text: tools > 0 ? 'Hi there, friend.' : '{"title": "Greeting"}' }] };
  });
  const env = clientEnv(upstream.url, home, tmp);
  if (values.nonessential === 'on') delete env['CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC'];
  const start = performance.now();
  let session: InteractiveClaude | null = null;
  try {
    session = await InteractiveClaude.start(`cc-signals-${process.pid}`, values.bin!, env, project);
    const shown = performance.now();
    await sleep(Number(values.wait) * 1000);
    const before = upstream.seen.length;
    await session.send('Say hi in three words.');
    await session.waitForScreen('Hi there, friend.');
    await sleep(2000);
    console.log(`CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC ${values.nonessential === 'on' ? 'unset' : '1'}; the prompt showed after ${((shown - start) / 1000).toFixed(1)} s; waited ${values.wait} s`);
    console.log(`before the first prompt (${before} requests):`);
    for (const r of upstream.seen.slice(0, before)) console.log(`  ${describe(r, start, upstream.calls)}`);
    console.log('after it was sent:');
    for (const r of upstream.seen.slice(before)) console.log(`  ${describe(r, start, upstream.calls)}`);
  } finally {
    await session?.close();
    await upstream.close();
    box.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
