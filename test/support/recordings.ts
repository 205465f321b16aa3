// Recorded real Claude Code sessions (test/fixtures/recordings/<name>.json.gz),
// in the format of the shared contract: what the real client sent, call by
// call, to a scripted upstream. scripts/record-sessions.ts writes them; tests,
// the engine bench and the diagnostics replay them.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** Who sent a call, as the recorder knew it (not guessed from the body). */
export type RecordedRole = 'main' | 'side' | 'subagent';

export interface RecordedCall {
  /** ms since the session's first call; keeps the title-call/main-call spacing. */
  readonly t: number;
  /** Which user prompt (1-based) the call belongs to; a tool loop keeps the same number. */
  readonly prompt: number;
  readonly role: RecordedRole;
  readonly method: string;
  readonly path: string;
  /** Lowercase names; only anthropic-*, x-claude-code-*, user-agent and content-type. */
  readonly headers: Readonly<Record<string, string>>;
  /** The request body text exactly as the client sent it, after scrubbing. */
  readonly body: string;
}

export interface Recording {
  /** The file name without `.json.gz`. */
  readonly name: string;
  /** The Claude Code version that sent it, e.g. `2.1.139`. */
  readonly client: string;
  /** One line: how it was recorded (flags, env, prompts). */
  readonly description: string;
  readonly calls: readonly RecordedCall[];
}

/** The recordings in test/fixtures/recordings/, in the order they were planned. */
export const RECORDING_NAMES = [
  'cc-2.1.139-bare-resume',
  'cc-2.1.139-full-resume',
  'cc-2.1.139-interactive',
  'cc-2.1.332-tool-loop',
  'cc-2.1.332-countdown',
  'cc-2.1.332-subagent',
  'cc-2.1.332-nested-subagent',
  'cc-2.1.332-thinking',
  'cc-2.1.332-other-project',
  'cc-2.1.332-max-output',
  'cc-2.1.332-max-output-thinking',
] as const;

export type RecordingName = (typeof RECORDING_NAMES)[number];

/** Where the fixtures live in the source tree (this file runs from dist/test/support/). */
export const RECORDINGS_DIR = fileURLToPath(new URL('../../../test/fixtures/recordings/', import.meta.url));

export function recordingPath(name: string): string {
  return `${RECORDINGS_DIR}${name}.json.gz`;
}

export function loadRecording(name: RecordingName | string): Recording {
  const recording = JSON.parse(gunzipSync(readFileSync(recordingPath(name))).toString('utf8')) as Recording;
  if (recording.name !== name) throw new Error(`${recordingPath(name)} holds recording "${recording.name}", not "${name}"`);
  return recording;
}
