// Drives an interactive Claude Code in a detached tmux session on a socket of
// its own (so no one else's tmux is touched): type a prompt, read the screen.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Screens the client may show before its prompt, and the keys that get past them. */
const DIALOGS: ReadonlyArray<{ readonly screen: RegExp; readonly keys: readonly string[] }> = [
  { screen: /Do you trust the files in this folder|Yes, proceed|trust this folder/i, keys: ['Enter'] },
  { screen: /Choose the text style|Dark mode/i, keys: ['Enter'] },
  { screen: /Detected a custom API key|Do you want to use this API key/i, keys: ['Up', 'Enter'] },
  { screen: /Press Enter to continue|Security notes/i, keys: ['Enter'] },
];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class InteractiveClaude {
  private constructor(private readonly socket: string, private readonly session: string) {}

  static async start(name: string, bin: string, env: Readonly<Record<string, string>>, cwd: string, args: readonly string[] = []): Promise<InteractiveClaude> {
    const envArgs = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    await run('tmux', ['-L', name, '-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', '160', '-y', '50', '-c', cwd, ...envArgs, bin, ...args]);
    const client = new InteractiveClaude(name, name);
    await client.waitForPrompt();
    return client;
  }

  /** The visible screen, or with `history` everything that scrolled past too. */
  async screen(history = false): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, 'capture-pane', '-p', ...(history ? ['-S', '-'] : []), '-t', this.session]);
    return stdout;
  }

  private async keys(...keys: string[]): Promise<void> {
    await run('tmux', ['-L', this.socket, 'send-keys', '-t', this.session, ...keys]);
  }

  /** Gets past first-run dialogs until the input box shows. */
  private async waitForPrompt(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await this.screen();
      const dialog = DIALOGS.find((d) => d.screen.test(last));
      if (dialog) {
        await this.keys(...dialog.keys);
        await sleep(1000);
        continue;
      }
      if (/\? for shortcuts|^\s*[>❯]\s/m.test(last)) return;
      await sleep(300);
    }
    throw new Error(`the interactive client never showed its prompt; last screen:\n${last}`);
  }

  /** Types a prompt and submits it. */
  async send(text: string): Promise<void> {
    await this.keys('-l', text);
    await sleep(300);
    await this.keys('Enter');
  }

  async waitForScreen(text: string, timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await this.screen();
      if (last.replace(/\s+/g, ' ').includes(text.replace(/\s+/g, ' '))) return last;
      await sleep(300);
    }
    throw new Error(`"${text}" never showed; last screen:\n${last}`);
  }

  /** Ends the session and waits for the client to exit, so its HOME can be removed. */
  async close(): Promise<void> {
    const pid = Number((await run('tmux', ['-L', this.socket, 'display', '-p', '-t', this.session, '#{pane_pid}']).catch(() => ({ stdout: '' }))).stdout.trim());
    await run('tmux', ['-L', this.socket, 'kill-server']).catch(() => undefined);
    for (let i = 0; pid > 0 && i < 50 && alive(pid); i++) await sleep(100);
  }
}
