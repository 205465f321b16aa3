// Records what real Claude Code sends, into test/fixtures/recordings/<name>.json.gz
// (format: test/support/recordings.ts). Each session runs a real client against
// a scripted upstream on loopback (scripts/record-upstream.ts) from a throwaway
// HOME and project dir, with every model tier set to one local model id as our
// `claudel` snippet does; the captured calls are scrubbed and written gzipped.
//
// The clients are installed outside the repo, one folder per version:
//   npm install --prefix /tmp/cc-2.1.139 @anthropic-ai/claude-code@2.1.139
//   npm install --prefix /tmp/cc-2.1.332 @anthropic-ai/claude-code@2.1.332
//   npm run build && node dist/scripts/record-sessions.js --clients /tmp [--only cc-2.1.332-subagent,...]
// (--clients, or RECORD_CLIENTS_DIR, is the folder holding cc-<version>/.)
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { startScriptedUpstream, type CapturedCall, type Reply, type ReplyBlock } from './record-upstream.js';
import { keptHeaders, scrubRules, scrubText } from './record-scrub.js';
import { InteractiveClaude } from './record-tmux.js';
import type { RecordedCall, RecordedRole, Recording } from '../test/support/recordings.js';

const MODEL = 'qwen3-coder:30b';
const OUT_DIR = fileURLToPath(new URL('../../test/fixtures/recordings/', import.meta.url));
const TURN_TIMEOUT_MS = 180_000;

interface RequestBody {
  system?: string | Array<{ text?: string }>;
  tools?: unknown[];
  messages?: Array<{ role: string; content: unknown }>;
}

/** Ground truth for a call's role: subagents say so in headers, side calls carry no tools. */
export function roleOf(call: CapturedCall): RecordedRole {
  if (call.headers['x-claude-code-agent-id']) return 'subagent';
  const body = JSON.parse(call.body) as RequestBody;
  return (body.tools?.length ?? 0) > 0 ? 'main' : 'side';
}

function systemText(body: RequestBody): string {
  if (typeof body.system === 'string') return body.system;
  return (body.system ?? []).map((block) => block.text ?? '').join('\n');
}

function toolResultCount(body: RequestBody): number {
  let count = 0;
  for (const message of body.messages ?? []) {
    if (Array.isArray(message.content)) count += message.content.filter((block: { type?: string }) => block.type === 'tool_result').length;
  }
  return count;
}

export interface ToolStep {
  readonly name: string;
  /** The tool's input, given the project dir and the other project's (sessions that change projects). */
  readonly input: (project: string, otherProject: string) => Record<string, unknown>;
}

/** What each role does in a session: tool calls in order, then a closing text. */
export interface SessionPlan {
  readonly main?: readonly ToolStep[];
  readonly subagent?: readonly ToolStep[];
  /** Steps of a subagent started by a subagent (it carries x-claude-code-parent-agent-id). */
  readonly nestedSubagent?: readonly ToolStep[];
  /** The main agent's tool calls per user prompt, when each prompt has a loop of its own (instead of `main`). */
  readonly mainPerPrompt?: readonly (readonly ToolStep[])[];
  /** Text that ends the main agent's turn, per prompt. */
  readonly answers: readonly string[];
  /** Every main answer starts with a thinking block, as a thinking model's answers do through Ollama. */
  readonly thinking?: boolean;
  /**
   * Every main answer stops at the output limit after a few words, so the client runs its max-output
   * recovery: words of text, or only reasoning (a thinking model cut before it answered).
   */
  readonly cut?: 'text' | 'thinking';
}

/** Tool results since the conversation's last real user prompt (a user message with no tool result). */
function toolResultsThisPrompt(body: RequestBody): number {
  let count = 0;
  for (const message of [...(body.messages ?? [])].reverse()) {
    if (message.role !== 'user') continue;
    const blocks = Array.isArray(message.content) ? message.content as { type?: string }[] : [];
    const results = blocks.filter((block) => block.type === 'tool_result').length;
    if (results === 0) break;
    count += results;
  }
  return count;
}

function planScript(plan: SessionPlan, project: string, otherProject: string, promptOf: () => number): (call: CapturedCall) => Reply {
  return (call) => {
    const body = JSON.parse(call.body) as RequestBody;
    const role = roleOf(call);
    if (role === 'side') {
      if (/^Generate a concise/.test(systemText(body).replace(/^x-anthropic-billing-header:[^\n]*\n/, ''))) return { content: [{ type: 'text', text: '{"title": "Explain the KV cache"}' }] };
      return { content: [{ type: 'text', text: 'OK' }] };
    }
    const nested = role === 'subagent' && call.headers['x-claude-code-parent-agent-id'] !== undefined;
    if (role === 'main' && plan.cut === 'text') return { content: [{ type: 'text', text: 'A KV cache' }], stopReason: 'max_tokens' };
    if (role === 'main' && plan.cut === 'thinking') return { content: [{ type: 'thinking', thinking: 'The user asks about' }], stopReason: 'max_tokens' };
    const perPrompt = role === 'main' ? plan.mainPerPrompt?.[promptOf() - 1] : undefined;
    const steps = perPrompt ?? (nested ? plan.nestedSubagent : role === 'subagent' ? plan.subagent : plan.main) ?? [];
    const done = perPrompt === undefined ? toolResultCount(body) : toolResultsThisPrompt(body);
    const think = (text: string): ReplyBlock[] => (role === 'main' && plan.thinking === true ? [{ type: 'thinking', thinking: text }] : []);
    if (done < steps.length) {
      const step = steps[done]!;
      const id = `toolu_rec_${nested ? 'nested' : role}_${perPrompt === undefined ? '' : `p${promptOf()}_`}${done + 1}`;
      const block: ReplyBlock = { type: 'tool_use', id, name: step.name, input: step.input(project, otherProject) };
      return { content: [...think(`The user wants something a file holds. I should call ${step.name} before I answer.`), { type: 'text', text: `Let me use ${step.name}.` }, block] };
    }
    if (role === 'subagent') return { content: [{ type: 'text', text: 'notes.md says the proxy keeps the prompt prefix byte-stable so the KV cache is reused.' }] };
    return { content: [...think('The tool result has what I need; I can answer in one sentence now.'), { type: 'text', text: plan.answers[Math.min(promptOf(), plan.answers.length) - 1] ?? 'Done.' }] };
  };
}

interface SessionContext {
  readonly project: string;
  /** A second project dir, for sessions that start another session elsewhere. */
  readonly otherProject: string;
  /** Starts the calls of user prompt n (1-based). */
  prompt(n: number): void;
  /** Runs `claude` (non-interactive) in the project dir (or `cwd`) and returns its stdout. */
  claude(args: readonly string[], cwd?: string): Promise<string>;
  /** The same, for a run that may end with an error (the client giving up is what is recorded). */
  claudeAnyExit(args: readonly string[]): Promise<string>;
  /** Starts the client interactively in tmux. */
  interactive(): Promise<InteractiveClaude>;
  /** Waits until the upstream got at least `count` calls and then none for `quietMs`. */
  settle(count: number, quietMs?: number): Promise<void>;
}

interface SessionSpec {
  readonly name: string;
  readonly client: string;
  /** The model id every tier is set to (default MODEL). */
  readonly model?: string;
  readonly description: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly plan: SessionPlan;
  run(ctx: SessionContext): Promise<void>;
}

const readStep = (file: string): ToolStep => ({ name: 'Read', input: (project) => ({ file_path: join(project, file) }) });

/** A foreground delegation (2.1.332 runs agents in the background unless told otherwise). */
const agentStep = (description: string, prompt: string): ToolStep => ({
  name: 'Agent',
  input: () => ({ description, prompt, subagent_type: 'general-purpose', run_in_background: false }),
});

/** The second project: another repository of the same user, with a CLAUDE.md of its own. */
const OTHER_PROJECT_FILES: Readonly<Record<string, string>> = {
  'README.md': '# Shop\n\nA small web shop: a cart, a checkout and an order list.\n',
  'CLAUDE.md': '# Shop\n\nRun `make test` before every commit.\n',
};

const PROJECT_FILES: Readonly<Record<string, string>> = {
  'notes.md': '# Notes\n\nThe proxy keeps the prompt prefix byte-stable, so the backend reuses its KV cache.\n',
  'a.md': '# A\n\nThe billing line sits at byte 0 of the prompt.\n',
  'b.md': '# B\n\nOllama lifts every system message to the top of the prompt.\n',
  'c.md': '# C\n\nA title side call can evict the main conversation from a single slot.\n',
  'd.md': '# D\n\nSubagents share the session id and send agent-id headers.\n',
};

const RESUME_PROMPTS = ['What is a KV cache?', 'Why does a changing first line break it?', 'Summarise in one line.'];
const RESUME_ANSWERS = [
  'A KV cache keeps the attention keys and values of tokens already read, so the model does not read them again.',
  'Because the cache is a prefix: once the first bytes change, every token after them must be read again.',
  'Keep the prompt prefix byte-stable and the cache is reused.',
];

function resumeSession(name: string, client: string, bare: boolean): SessionSpec {
  const flags = bare ? ['-p', '--bare'] : ['-p'];
  return {
    name,
    client,
    description: `claude ${flags.join(' ')} --output-format json, three turns: --session-id, then --resume twice; prompts: ${RESUME_PROMPTS.map((p) => JSON.stringify(p)).join(', ')}`,
    plan: { answers: RESUME_ANSWERS },
    async run(ctx) {
      const id = randomUUID();
      for (const [i, text] of RESUME_PROMPTS.entries()) {
        ctx.prompt(i + 1);
        await ctx.claude([...flags, '--output-format', 'json', ...(i === 0 ? ['--session-id', id] : ['--resume', id]), text]);
      }
    },
  };
}

/** A 2.1.332 `claude -p` session of one prompt, whose tool loop the plan scripts. */
function oneShot(spec: { name: string; prompt: string; how: string; plan: SessionPlan; env?: Readonly<Record<string, string>> }): SessionSpec {
  const envPrefix = Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value} `).join('');
  return {
    name: spec.name,
    client: '2.1.332',
    description: `${envPrefix}claude -p --output-format json ${JSON.stringify(spec.prompt)}; ${spec.how}`,
    ...(spec.env ? { env: spec.env } : {}),
    plan: spec.plan,
    async run(ctx) {
      ctx.prompt(1);
      await ctx.claude(['-p', '--output-format', 'json', spec.prompt]);
    },
  };
}

const INTERACTIVE_PROMPTS = ['What is a KV cache?', 'Why does a changing first line break it?'];

const THINKING_PROMPTS = ['Read notes.md and tell me what this project caches.', 'Now read a.md and tell me where the billing line sits.'];

/** Two `claude -p` prompts in one session (--session-id, then --resume), each with a tool loop, answered with thinking. */
const thinkingSession: SessionSpec = {
  name: 'cc-2.1.332-thinking',
  client: '2.1.332',
  model: 'qwen3.6:35b-a3b',
  description: `claude -p --output-format json, two prompts (--session-id, then --resume): ${THINKING_PROMPTS.map((p) => JSON.stringify(p)).join(', ')}; every answer of the model starts with a thinking block (as Ollama streams a thinking model's), each prompt Reads one file, then ends with text`,
  plan: {
    thinking: true,
    mainPerPrompt: [[readStep('notes.md')], [readStep('a.md')]],
    answers: ['This project caches the prompt prefix: the backend reuses its KV cache.', 'The billing line sits at byte 0 of the prompt.'],
  },
  async run(ctx) {
    const id = randomUUID();
    for (const [i, text] of THINKING_PROMPTS.entries()) {
      ctx.prompt(i + 1);
      await ctx.claude(['-p', '--output-format', 'json', ...(i === 0 ? ['--session-id', id] : ['--resume', id]), text]);
    }
  },
};

const OTHER_PROJECT_PROMPTS = ['Read notes.md and tell me what this project caches.', 'Read README.md and tell me what this project is.'];

/** A session in one project, then a new session in another project of the same user. */
const otherProjectSession: SessionSpec = {
  name: 'cc-2.1.332-other-project',
  client: '2.1.332',
  description: `claude -p --output-format json ${JSON.stringify(OTHER_PROJECT_PROMPTS[0])} in the project, then the same in another project dir (a git repository with a CLAUDE.md): ${JSON.stringify(OTHER_PROJECT_PROMPTS[1])}; each Reads one file, then ends with text`,
  plan: {
    mainPerPrompt: [[readStep('notes.md')], [{ name: 'Read', input: (_project, other) => ({ file_path: join(other, 'README.md') }) }]],
    answers: ['This project caches the prompt prefix: the backend reuses its KV cache.', 'A small web shop with a cart, a checkout and an order list.'],
  },
  async run(ctx) {
    ctx.prompt(1);
    await ctx.claude(['-p', '--output-format', 'json', OTHER_PROJECT_PROMPTS[0]!]);
    ctx.prompt(2);
    await ctx.claude(['-p', '--output-format', 'json', OTHER_PROJECT_PROMPTS[1]!], ctx.otherProject);
  },
};

/** One `claude -p` prompt whose every answer stops at the output limit after a few words. */
function maxOutputSession(cut: 'text' | 'thinking'): SessionSpec {
  return {
    name: cut === 'text' ? 'cc-2.1.332-max-output' : 'cc-2.1.332-max-output-thinking',
    client: '2.1.332',
    ...(cut === 'thinking' ? { model: 'qwen3.6:35b-a3b' } : {}),
    description: `claude -p --output-format json "What is a KV cache?"; every answer stops with max_tokens after a few words of ${cut === 'text' ? 'text' : 'reasoning (a thinking block, no text)'}, so the client runs its max-output recovery until it gives up`,
    plan: { cut, answers: [] },
    async run(ctx) {
      ctx.prompt(1);
      await ctx.claudeAnyExit(['-p', '--output-format', 'json', 'What is a KV cache?']);
    },
  };
}

const SESSIONS: readonly SessionSpec[] = [
  resumeSession('cc-2.1.139-bare-resume', '2.1.139', true),
  resumeSession('cc-2.1.139-full-resume', '2.1.139', false),
  {
    name: 'cc-2.1.139-interactive',
    client: '2.1.139',
    description: `claude interactive in tmux, two prompts (${INTERACTIVE_PROMPTS.map((p) => JSON.stringify(p)).join(', ')}), with the title-generation side calls`,
    plan: { answers: RESUME_ANSWERS },
    async run(ctx) {
      const session = await ctx.interactive();
      try {
        for (const [i, text] of INTERACTIVE_PROMPTS.entries()) {
          ctx.prompt(i + 1);
          await session.send(text);
          await session.waitForScreen(RESUME_ANSWERS[i]!.slice(0, 40));
        }
        await ctx.settle(0, 2000);
      } finally {
        await session.close();
      }
    },
  },
  oneShot({
    name: 'cc-2.1.332-tool-loop',
    prompt: 'Read notes.md and tell me what this project caches.',
    how: 'the upstream asks for a Read of notes.md, then ends the turn with text',
    plan: { main: [readStep('notes.md')], answers: ['This project caches the prompt prefix: the backend reuses its KV cache.'] },
  }),
  oneShot({
    name: 'cc-2.1.332-countdown',
    env: { CLAUDE_CODE_TOTAL_TOKENS_REMINDER: 'countdown' },
    prompt: 'Read a.md, b.md, c.md and d.md, then sum them up.',
    how: 'the upstream asks for four Reads in turn, then ends with text',
    plan: { main: ['a.md', 'b.md', 'c.md', 'd.md'].map(readStep), answers: ['The four notes describe what busts a local model\'s prompt cache.'] },
  }),
  oneShot({
    name: 'cc-2.1.332-subagent',
    prompt: 'Use a subagent to summarise notes.md.',
    how: 'the main agent calls Agent (foreground), the subagent Reads notes.md and answers, then the main agent ends with text',
    plan: {
      main: [agentStep('Summarise notes', 'Read notes.md in the working directory and summarise it in one sentence.')],
      subagent: [readStep('notes.md')],
      answers: ['The subagent says the proxy keeps the prompt prefix byte-stable so the KV cache is reused.'],
    },
  }),
  oneShot({
    name: 'cc-2.1.332-nested-subagent',
    prompt: 'Use a subagent that delegates to another subagent to summarise notes.md.',
    how: 'main calls Agent, the subagent calls Agent, the nested subagent Reads notes.md, then each ends with text',
    plan: {
      main: [agentStep('Summarise notes', 'Start a subagent of your own to read notes.md, then report what it found.')],
      subagent: [agentStep('Read notes', 'Read notes.md in the working directory and summarise it in one sentence.')],
      nestedSubagent: [readStep('notes.md')],
      answers: ['The subagents say the proxy keeps the prompt prefix byte-stable so the KV cache is reused.'],
    },
  }),
  thinkingSession,
  otherProjectSession,
  maxOutputSession('text'),
  maxOutputSession('thinking'),
];

export function clientBin(clientsDir: string, version: string): string {
  const bin = join(clientsDir, `cc-${version}`, 'node_modules', '.bin', 'claude');
  if (!existsSync(bin)) {
    throw new Error(`Claude Code ${version} is not installed at ${bin}.\n` +
      `Install it outside the repo with:  npm install --prefix ${join(clientsDir, `cc-${version}`)} @anthropic-ai/claude-code@${version}\n` +
      `and pass the parent folder with --clients (or RECORD_CLIENTS_DIR).`);
  }
  return bin;
}

/** The environment our `claudel` snippet gives the client, in a throwaway HOME. */
export function clientEnv(upstreamUrl: string, home: string, tmp: string, extra: Readonly<Record<string, string>> = {}, model = MODEL): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
    TMPDIR: tmp,
    USER: 'user',
    LOGNAME: 'user',
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    ANTHROPIC_BASE_URL: upstreamUrl,
    ANTHROPIC_AUTH_TOKEN: 'ollama',
    ANTHROPIC_API_KEY: '',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    ANTHROPIC_MODEL: model,
    ANTHROPIC_DEFAULT_OPUS_MODEL: model,
    ANTHROPIC_DEFAULT_SONNET_MODEL: model,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: model,
    CLAUDE_CODE_SUBAGENT_MODEL: model,
    ...extra,
  };
}

/** First-run answers (onboarding done, project trusted) so the interactive client goes straight to its prompt. */
export function writeFirstRunConfig(home: string, ...projects: readonly string[]): void {
  const trusted = { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] };
  const config = JSON.stringify({
    hasCompletedOnboarding: true,
    theme: 'dark',
    numStartups: 5,
    bypassPermissionsModeAccepted: true,
    customApiKeyResponses: { approved: [], rejected: [] },
    projects: Object.fromEntries(projects.map((project) => [project, trusted])),
  }, null, 2);
  writeFileSync(join(home, '.claude.json'), config);
  writeFileSync(join(home, '.claude', '.claude.json'), config);
}

export interface ClientRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the client to its end, whatever its exit code (a refusal is a finding too). */
export function spawnClient(bin: string, args: readonly string[], env: Record<string, string>, cwd: string): Promise<ClientRun> {
  return new Promise((resolveRun) => {
    const child = spawn(bin, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGTERM'), TURN_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

async function runClient(bin: string, args: readonly string[], env: Record<string, string>, cwd: string): Promise<string> {
  const run = await spawnClient(bin, args, env, cwd);
  if (run.code !== 0) throw new Error(`claude ${args.join(' ')} exited with ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function record(spec: SessionSpec, bin: string, clientsDir: string): Promise<Recording> {
  const work = mkdtempSync(join(os.tmpdir(), 'cc-record-'));
  const home = join(work, 'home');
  const project = join(work, 'project');
  const otherProject = join(work, 'shop');
  const tmp = join(work, 'tmp');
  for (const dir of [join(home, '.claude'), project, otherProject, tmp]) mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(PROJECT_FILES)) writeFileSync(join(project, file), text);
  for (const [file, text] of Object.entries(OTHER_PROJECT_FILES)) writeFileSync(join(otherProject, file), text);
  // A git repository, as most projects are: the client says so in its environment message.
  execFileSync('git', ['init', '-q', '-b', 'main', otherProject]);
  writeFirstRunConfig(home, project, otherProject);

  let prompt = 0;
  const prompts: number[] = [];
  const script = planScript(spec.plan, project, otherProject, () => prompt);
  const upstream = await startScriptedUpstream((call, index) => { prompts[index] = prompt; return script(call); });
  const env = clientEnv(upstream.url, home, tmp, spec.env, spec.model);
  let tmuxSession: InteractiveClaude | undefined;
  const ctx: SessionContext = {
    project,
    otherProject,
    prompt(n) { prompt = n; },
    claude: (args, cwd = project) => runClient(bin, args, env, cwd),
    claudeAnyExit: async (args) => (await spawnClient(bin, args, env, project)).stdout,
    async interactive() {
      tmuxSession = await InteractiveClaude.start(`cc-record-${process.pid}`, bin, env, project);
      return tmuxSession;
    },
    async settle(count, quietMs = 1500) {
      const deadline = Date.now() + TURN_TIMEOUT_MS;
      let seen = -1;
      let since = Date.now();
      while (Date.now() < deadline) {
        if (upstream.calls.length !== seen) { seen = upstream.calls.length; since = Date.now(); }
        if (seen >= count && Date.now() - since >= quietMs) return;
        await sleep(100);
      }
      throw new Error(`${spec.name}: the upstream got ${upstream.calls.length} calls, expected at least ${count}`);
    },
  };
  try {
    await spec.run(ctx);
  } finally {
    await upstream.close();
  }

  // The client also names the project by its path with every non-alphanumeric made a dash (~/.claude/projects/<that>/).
  const dashed = (path: string) => path.replace(/[^a-zA-Z0-9]/g, '-');
  const rules = scrubRules([
    [project, '/home/user/project'],
    [dashed(project), dashed('/home/user/project')],
    [otherProject, '/home/user/shop'],
    [dashed(otherProject), dashed('/home/user/shop')],
    [tmp, '/home/user/.tmp'],
    [home, '/home/user'],
    [work, '/home/user/work'],
    [clientsDir, '/opt/claude-code'],
    [os.homedir(), '/home/user'],
    [os.hostname(), 'host'],
    [os.release(), '6.0.0-host'],
  ]);
  const messages = upstream.calls.map((call, index) => ({ call, index })).filter(({ call }) => call.method === 'POST' && /^\/v1\/messages(\?|$)/.test(call.path));
  const first = messages[0]?.call.at ?? 0;
  const calls: RecordedCall[] = messages.map(({ call, index }) => ({
    t: Math.round((call.at - first) * 10) / 10,
    prompt: prompts[index] ?? 0,
    role: roleOf(call),
    method: call.method,
    path: call.path,
    headers: keptHeaders(call.headers, rules),
    body: scrubText(call.body, rules),
  }));
  rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  return { name: spec.name, client: spec.client, description: spec.description, calls };
}

/** Lines that must never reach a fixture; the caller refuses to write when any is found. */
export function leaks(recording: Recording): string[] {
  const text = JSON.stringify(recording);
  const found: string[] = [];
  for (const needle of ['/tmp/', '-tmp-', 'cc-record-', '/root', 'Bearer ', os.hostname()]) {
    if (needle.length >= 3 && text.includes(needle)) found.push(needle);
  }
  return found;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: process.env['RECORD_CLIENTS_DIR'] },
      only: { type: 'string' },
      out: { type: 'string', default: OUT_DIR },
    },
  });
  if (!values.clients) throw new Error('Say where the Claude Code clients live: --clients <dir> (or RECORD_CLIENTS_DIR), a folder holding cc-<version>/ installs made with npm install --prefix.');
  const clientsDir = resolve(values.clients);
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const chosen = only ? SESSIONS.filter((s) => only.includes(s.name)) : SESSIONS;
  const unknown = only?.filter((name) => !SESSIONS.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`No such session: ${unknown.join(', ')}. Known: ${SESSIONS.map((s) => s.name).join(', ')}`);
  const bins = new Map(chosen.map((spec) => [spec.client, clientBin(clientsDir, spec.client)]));
  mkdirSync(values.out!, { recursive: true });
  for (const spec of chosen) {
    const recording = await record(spec, bins.get(spec.client)!, clientsDir);
    const leaked = leaks(recording);
    if (leaked.length > 0) throw new Error(`${spec.name}: scrubbing left ${leaked.map((l) => JSON.stringify(l)).join(', ')} in the recording; not written`);
    const file = join(values.out!, `${spec.name}.json.gz`);
    const gz = gzipSync(JSON.stringify(recording), { level: 9 });
    writeFileSync(file, gz);
    const summary = recording.calls.map((c) => `${c.prompt}:${c.role}@${Math.round(c.t)}ms/${c.body.length}B`).join(' ');
    console.log(`${spec.name}: ${recording.calls.length} calls, ${gz.length} bytes gzipped -> ${file}\n  ${summary}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
