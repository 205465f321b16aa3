// Starts a Node script (or an executable) as a child process and waits until
// it says where it listens: the benchmark and the real-Claude check run the
// stand-in and the proxy this way, each in a process of its own.
import { spawn, type ChildProcess } from 'node:child_process';

export interface StartedProcess {
  readonly child: ChildProcess;
  /** The first group of `ready` in the process's output, e.g. its URL. */
  readonly url: string;
  /** Everything it has printed on stdout so far. */
  output(): string;
}

export function startNodeProcess(script: string, args: readonly string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<StartedProcess> {
  return startProcess(process.execPath, [script, ...args], ready, env, script);
}

/** The same for an executable, e.g. the package's bin as a user runs it. */
export function startProcess(command: string, args: readonly string[], ready: RegExp, env: NodeJS.ProcessEnv = process.env, name = command): Promise<StartedProcess> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (match) resolve({ child, url: match[1]!, output: () => out });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
  });
}
