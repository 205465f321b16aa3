// What the scripts that drive the real Claude Code client share: a throwaway
// HOME and project for one run, its `-p --output-format json` result, and how
// to tell its compaction (summarisation) request from a main call.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { writeFirstRunConfig } from './record-sessions.js';

export interface Sandbox {
  readonly home: string;
  readonly project: string;
  readonly tmp: string;
  dispose(): void;
}

export function sandbox(): Sandbox {
  const work = mkdtempSync(join(os.tmpdir(), 'cc-context-'));
  const home = join(work, 'home');
  const project = join(work, 'project');
  const tmp = join(work, 'tmp');
  for (const dir of [join(home, '.claude'), project, tmp]) mkdirSync(dir, { recursive: true });
  writeFirstRunConfig(home, project);
  return { home, project, tmp, dispose: () => rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }) };
}

/** The JSON line `claude -p --output-format json` prints. */
export function resultJson(stdout: string): Record<string, unknown> | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
}

/** The context window the client says it used: `modelUsage.<model>.contextWindow`. */
export function contextWindowOf(json: Record<string, unknown> | undefined): number | undefined {
  return Object.values((json?.['modelUsage'] ?? {}) as Record<string, { contextWindow?: number }>)[0]?.contextWindow;
}

/** The compaction request's own words (2.1.332): the last user message asks for a summary of the conversation. */
const SUMMARY_REQUEST = /Your task is to create a detailed summary of the conversation/;

function lastUserText(body: string): string {
  const parsed = JSON.parse(body) as { messages: Array<{ role: string; content: string | Array<{ type: string; text?: string }> }> };
  const last = parsed.messages.filter((m) => m.role === 'user').at(-1);
  if (!last) return '';
  return typeof last.content === 'string' ? last.content : last.content.map((b) => b.text ?? '').join('\n');
}

/** Whether a /v1/messages body is the client's summarisation (compaction) request. */
export const isSummaryBody = (body: string): boolean => SUMMARY_REQUEST.test(lastUserText(body));
