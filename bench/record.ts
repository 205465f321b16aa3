// What a bench prints, kept so the figures quoted in README.md and docs/ can
// be held against it: with BENCH_RECORD=1 the run's output is written to
// docs/bench-output/<slug>.txt, its first line the command that printed it
// (test/bench-figures.test.ts checks the quotes against these files).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_OUTPUT_DIR = fileURLToPath(new URL('../../docs/bench-output/', import.meta.url));

/** The command as a user types it: the environment variables of this bench that are set, then the npm script. */
export function commandLine(script: string, prefix: string, env: NodeJS.ProcessEnv = process.env): string {
  const vars = Object.keys(env).filter((k) => k.startsWith(prefix) && env[k] !== '').sort().map((k) => `${k}=${env[k]}`);
  return [...vars, `npm run ${script}`].join(' ');
}

/** The file a command's output is kept in: its script, then its variables (`bench-engine.quick-1.txt`). */
export function outputFile(command: string): string {
  const words = command.split(' ');
  const script = words[words.indexOf('run') + 1]!.replace(/:/g, '-');
  const vars = words.filter((w) => w.includes('=')).map((v) => v.replace(/^BENCH_[A-Z]+_/, '').toLowerCase().replace(/[^a-z0-9.-]+/g, '-'));
  return path.join(BENCH_OUTPUT_DIR, `${[script, ...vars].join('.')}.txt`);
}

/** One line on the machine, so a figure is never quoted without it. */
export function machineLine(): string {
  const cpus = os.cpus();
  const load = os.loadavg()[0]!.toFixed(1);
  return `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${os.platform()} ${os.release()}, Node ${process.versions.node}, load ${load} at the start`;
}

export interface Recorder {
  /** Prints a line and keeps it. */
  log(line?: string): void;
  /** Writes what was kept when BENCH_RECORD=1; returns the file, or null. */
  save(): string | null;
}

export function recorder(command: string): Recorder {
  const lines = [`$ ${command}`, machineLine()];
  for (const l of lines) console.log(l);
  return {
    log(line = '') {
      console.log(line);
      lines.push(line);
    },
    save() {
      if (process.env['BENCH_RECORD'] !== '1') return null;
      const file = outputFile(command);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, lines.join('\n') + '\n');
      return file;
    },
  };
}
