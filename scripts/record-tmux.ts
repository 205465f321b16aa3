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

export class InteractiveClaude {
  private constructor(private readonly socket: string, private readonly session: string) {}

  static async start(name: string, bin: string, env: Readonly<Record<string, string>>, cwd: string): Promise<InteractiveClaude> {
    const envArgs = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    await run('tmux', ['-L', name, '-f', '/dev/null', 'new-session', '-d', '-s', name, '-x', '160', '-y', '50', '-c', cwd, ...envArgs, bin]);
    const client = new InteractiveClaude(name, name);
    await client.waitForPrompt();
    return client;
  }

  async screen(): Promise<string> {
    const { stdout } = await run('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', this.session]);
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

  async close(): Promise<void> {
    await run('tmux', ['-L', this.socket, 'kill-server']).catch(() => undefined);
  }
}
