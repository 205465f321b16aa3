// npm run bench:memory: a menu-bar app lives for weeks, so the headless proxy
// runs as a real process against the Ollama stand-in (each in a process of its
// own) and serves 10,000 realistic /v1/messages calls: Claude Code bodies
// (24 tools, the instruction block, a history of tool turns), from several
// conversations at once, each growing turn by turn until a new session takes
// its place. The proxy's RSS after 100 calls and after 10,000 must stay within
// 20% of each other, both taken at rest; the ratio is printed and the exit
// code says whether it held.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fullBody, conversation } from '../test/support/claude-code-bodies.js';
import { startNodeProcess, startProcess, type StartedProcess } from '../test/support/node-process.js';

const CALLS = Number(process.env['MEMORY_CALLS'] ?? 10_000);
const BASELINE_CALLS = 100;
/** By here V8 has grown its young generation and the diagnostics have filled their bounded memory. */
const WARM_CALLS = 2000;
/** Conversations in flight at once; each is a client waiting for its answer before the next turn. */
const CONVERSATIONS = Number(process.env['MEMORY_CONVERSATIONS'] ?? 4);
/** Turns before a conversation ends and a new session starts in its place. */
const TURNS = 40;
const LIMIT = 1.2;
/**
 * Both figures are taken at rest, as a menu-bar app spends most of its life:
 * under load V8 keeps freed heap pages for the next burst, and its memory
 * reducer hands them back some 10-20 s after the calls stop.
 */
const REST_MS = Number(process.env['MEMORY_REST_S'] ?? 30) * 1000;
const STANDIN = fileURLToPath(new URL('../test/support/standin-cli.js', import.meta.url));
/** The package's bin, as a user runs the headless proxy (it sets the allocator's tunables). */
const BIN = fileURLToPath(new URL('../../bin/llm-cache-proxy', import.meta.url));
/** Same length as a UUID, so a session is swapped in without rebuilding a body. */
const SESSION_MARK = 'SESSION0-0000-4000-8000-000000000000';

/** One body per turn, each with the conversation history up to it. */
function turnBodies(): Buffer[] {
  return Array.from({ length: TURNS }, (_, turn) => fullBody({ call: turn, sessionId: SESSION_MARK, messages: conversation(turn) }));
}

function withSession(body: Buffer, session: number): Buffer {
  const copy = Buffer.from(body);
  const id = `${session.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
  let at = copy.indexOf(SESSION_MARK);
  while (at >= 0) {
    copy.write(id, at);
    at = copy.indexOf(SESSION_MARK, at + id.length);
  }
  return copy;
}

/** Resident set size of a process, in bytes (ps works on Linux and macOS alike). */
function rssBytes(pid: number): number {
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
}

function post(agent: http.Agent, url: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': body.length, 'anthropic-version': '2023-06-01' },
    }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`POST /v1/messages → ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function restingRss(pid: number): Promise<number> {
  await settle(REST_MS);
  return rssBytes(pid);
}
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<number> {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-memory-'));
  const started: StartedProcess[] = [];
  try {
    const standin = await startNodeProcess(STANDIN, ['--port', '0', '--prefill-ms', '2', '--token-delay-ms', '1', '--tokens', '16'], /listening on (\S+)/);
    started.push(standin);
    const proxy = await startProcess(BIN, ['--port', '0', '--target', standin.url], /listening on (http:\/\/\S+)/,
      { ...process.env, LLM_CACHE_PROXY_CONFIG_DIR: configDir });
    started.push(proxy);
    const url = `${proxy.url}/v1/messages`;
    const bodies = turnBodies();
    const sizes = bodies.map((body) => body.length);
    console.log(`memory: ${CALLS.toLocaleString('en-US')} calls, ${CONVERSATIONS} conversations at a time, ${TURNS} turns each `
      + `(${mb(sizes[0]!)} to ${mb(sizes.at(-1)!)} a body), proxy pid ${proxy.child.pid}`);

    const agent = new http.Agent({ keepAlive: true, maxSockets: CONVERSATIONS });
    let claimed = 0;
    let done = 0;
    let sessions = 0;
    let baseline = 0;
    let baselineTaken: Promise<void> | null = null;
    let warm = 0;
    const runConversation = async (): Promise<void> => {
      while (claimed < CALLS) {
        const session = sessions++;
        for (let turn = 0; turn < TURNS && claimed < CALLS; turn++) {
          claimed++;
          await post(agent, url, withSession(bodies[turn]!, session));
          done++;
          if (done === BASELINE_CALLS) {
            baselineTaken = restingRss(proxy.child.pid!).then((rss) => { baseline = rss; });
            await baselineTaken;
          } else if (baselineTaken) {
            await baselineTaken;
          }
          if (done % 1000 === 0) {
            const rss = rssBytes(proxy.child.pid!);
            if (done === WARM_CALLS) warm = rss;
            console.log(`  ${done.toLocaleString('en-US')} calls: RSS ${mb(rss)}`);
          }
        }
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONVERSATIONS }, runConversation));
    const seconds = (performance.now() - t0) / 1000;
    agent.destroy();
    const busy = rssBytes(proxy.child.pid!);
    const final = await restingRss(proxy.child.pid!);
    const ratio = final / baseline;
    const rest = `${REST_MS / 1000} s at rest`;
    console.log(`  after ${BASELINE_CALLS} calls, ${rest}: RSS ${mb(baseline)}`);
    console.log(`  after ${done.toLocaleString('en-US')} calls (${sessions} sessions, ${seconds.toFixed(0)} s): RSS ${mb(busy)} busy, ${mb(final)} after ${rest}`);
    const held = ratio <= LIMIT;
    console.log(`  ratio ${ratio.toFixed(2)} (limit ${LIMIT.toFixed(2)}): ${held ? 'ok' : 'OVER'}`);
    // Busy figures, for the record: under load RSS rises and falls with the heap's headroom.
    if (warm > 0) console.log(`  busy at ${WARM_CALLS.toLocaleString('en-US')} calls: RSS ${mb(warm)}; busy ${done.toLocaleString('en-US')} / ${WARM_CALLS.toLocaleString('en-US')} ratio ${(busy / warm).toFixed(2)}`);
    return held ? 0 : 1;
  } finally {
    for (const { child } of started.reverse()) child.kill('SIGTERM');
    fs.rmSync(configDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
