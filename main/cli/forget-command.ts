// `llm-cache-proxy forget`: deletes what the proxy keeps of your prompts on
// disk (warm start's remembered system prompt and tools). Everything else it
// knows of your conversations lives in memory only and goes with the process.
import fs from 'node:fs';
import path from 'node:path';
import { WARM_FILE_NAME, fileWarmStore } from '../core/warm/warm-store.js';

export interface ForgetIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export async function runForgetCommand(args: readonly string[], settingsDir: string, io: ForgetIo): Promise<number> {
  if (args.length > 0) {
    io.stderr(`llm-cache-proxy forget takes no arguments, got "${args[0]}"\n`);
    return 2;
  }
  const file = path.join(settingsDir, WARM_FILE_NAME);
  const existed = fs.existsSync(file);
  try {
    await fileWarmStore(settingsDir).clear();
  } catch (error) {
    io.stderr(`llm-cache-proxy: cannot delete ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n`);
    return 1;
  }
  io.stdout(existed ? `Deleted ${file} (warm start's remembered prompt).\n` : 'Nothing to delete: no prompt is remembered on disk.\n');
  return 0;
}
