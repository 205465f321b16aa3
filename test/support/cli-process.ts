// The headless CLI as a real child process, its output captured for asserting.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../main/cli.js', import.meta.url));

export interface Running {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: 'pipe', env });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern, ms = 5000) => new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        const m = pattern.exec(out);
        if (m) return resolve(m);
        if (Date.now() - started > ms) return reject(new Error(`no ${pattern} in output within ${ms} ms:\n${out}\n${err}`));
        setTimeout(poll, 20);
      };
      poll();
    }),
  };
}
