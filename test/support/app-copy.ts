// A copy of the built app in a folder whose path has spaces, as a user's clone
// might be ("~/My Projects/llm cache proxy"): package.json, scripts/, bin/, the
// compiled app, and node_modules with every package linked to this checkout's
// except electron, which is copied so its first-use download lands in the copy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AppCopy {
  /** The app folder (with spaces in its path). */
  readonly dir: string;
  /** Scratch space beside it: caches, settings. */
  readonly scratch: string;
  readonly electronDir: string;
  remove(): void;
}

// Compiled to dist/test/support/.
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export function copyBuiltApp(): AppCopy {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'app copy '));
  const dir = path.join(scratch, 'My Projects', 'llm cache proxy');
  fs.mkdirSync(path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(dir, 'package.json'));
  fs.cpSync(path.join(REPO, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
  fs.cpSync(path.join(REPO, 'bin'), path.join(dir, 'bin'), { recursive: true });
  for (const part of ['main', 'preload', 'renderer']) fs.cpSync(path.join(REPO, 'dist', part), path.join(dir, 'dist', part), { recursive: true });
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  for (const entry of fs.readdirSync(path.join(REPO, 'node_modules'))) {
    if (entry.startsWith('.') || entry === 'electron') continue;
    fs.symlinkSync(path.join(REPO, 'node_modules', entry), path.join(modules, entry));
  }
  const electronDir = path.join(modules, 'electron');
  const realElectron = path.join(REPO, 'node_modules', 'electron');
  fs.mkdirSync(electronDir);
  for (const entry of fs.readdirSync(realElectron)) {
    if (entry === 'dist' || entry === 'path.txt') continue;
    if (entry === 'node_modules') fs.symlinkSync(path.join(realElectron, entry), path.join(electronDir, entry));
    else fs.cpSync(path.join(realElectron, entry), path.join(electronDir, entry), { recursive: true });
  }
  return { dir, scratch, electronDir, remove: () => fs.rmSync(scratch, { recursive: true, force: true }) };
}
