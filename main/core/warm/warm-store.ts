// The remembered static prefix, kept in the settings folder so that a restart
// of the proxy or the app can warm the backend before the first session asks.
//
// It is prompt text (the system prompt and the tool definitions), so: owner-only
// permissions, never logged, size-bounded, and gone with the conversation data.
// A damaged or oversized file is ignored, never fatal: warm start is an extra.
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../settings/atomic-write.js';
import { isStaticPrefix, type StaticPrefix } from './warm-body.js';

export const WARM_FILE_NAME = 'warm-prefix.json';
const FILE_MODE = 0o600;

/**
 * Claude Code's full system prompt and its 24 tools are about 40 KB; MCP
 * servers add more. A prefix beyond this is not remembered: re-reading it
 * would take minutes on a laptop anyway.
 */
export const MAX_REMEMBERED_BYTES = 1_000_000;

export interface WarmStore {
  load(): Promise<StaticPrefix | null>;
  save(prefix: StaticPrefix): Promise<void>;
  clear(): Promise<void>;
}

/** A store that keeps nothing (tests, and a proxy started without a settings folder). */
export const NO_WARM_STORE: WarmStore = {
  load: async () => null,
  save: async () => undefined,
  clear: async () => undefined,
};

export function fileWarmStore(dir: string): WarmStore {
  const file = path.join(dir, WARM_FILE_NAME);
  return {
    async load() {
      let text: string;
      try {
        const stat = await fs.promises.stat(file);
        // Only a plain file: a FIFO or device there would block the read for ever.
        if (!stat.isFile() || stat.size > MAX_REMEMBERED_BYTES) return null;
        text = await fs.promises.readFile(file, 'utf8');
      } catch {
        return null;
      }
      try {
        const value: unknown = JSON.parse(text);
        return isStaticPrefix(value) ? value : null;
      } catch {
        return null;
      }
    },
    async save(prefix) {
      const text = JSON.stringify(prefix);
      if (Buffer.byteLength(text) > MAX_REMEMBERED_BYTES) return;
      await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(file, text, FILE_MODE);
    },
    async clear() {
      await fs.promises.rm(file, { force: true });
    },
  };
}
