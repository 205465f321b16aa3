import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { needsProgram } from './support/requirements.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { autostartFileName, createXdgAutostart } from '../main/core/autostart/xdg-autostart.js';
import { desktopExec } from '../main/core/autostart/desktop-entry.js';

let work: string;
let n = 0;
const freshConfigHome = () => path.join(work, `config ${n++}`);

before(() => { work = fs.mkdtempSync(path.join(os.tmpdir(), 'autostart-test-')); });
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('XDG autostart', () => {
  test('enable writes the entry, disable removes it, both idempotent', async () => {
    const configHome = freshConfigHome();
    const login = createXdgAutostart({ configHome, execPath: '/opt/LLM Cache Proxy/llm-cache-proxy', args: ['--hidden'], name: 'LLM Cache Proxy' });
    const file = path.join(configHome, 'autostart', 'llm-cache-proxy.desktop');
    assert.equal(login.path, file);
    assert.equal(await login.isEnabled(), false);

    await login.setEnabled(true);
    await login.setEnabled(true);
    assert.equal(await login.isEnabled(), true);
    assert.equal(fs.readFileSync(file, 'utf8'), [
      '[Desktop Entry]',
      'Type=Application',
      'Version=1.0',
      'Name=LLM Cache Proxy',
      'Exec="/opt/LLM Cache Proxy/llm-cache-proxy" --hidden',
      'Terminal=false',
      'X-GNOME-Autostart-enabled=true',
      '',
    ].join('\n'));
    assert.equal(fs.statSync(file).mode & 0o777, 0o644);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['llm-cache-proxy.desktop'], 'no temporary files left');

    await login.setEnabled(false);
    await login.setEnabled(false);
    assert.equal(fs.existsSync(file), false);
    assert.equal(await login.isEnabled(), false);
  });

  test('an entry the desktop switched off counts as disabled, and enabling turns it back on', async () => {
    const configHome = freshConfigHome();
    const login = createXdgAutostart({ configHome, execPath: '/usr/bin/app', name: 'App' });
    await login.setEnabled(true);
    const text = fs.readFileSync(login.path, 'utf8');
    fs.writeFileSync(login.path, text.replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
    assert.equal(await login.isEnabled(), false);
    fs.writeFileSync(login.path, `${text}Hidden=true\n`);
    assert.equal(await login.isEnabled(), false);
    await login.setEnabled(true);
    assert.equal(await login.isEnabled(), true);
  });

  test('Exec escaping follows the Desktop Entry Specification', () => {
    assert.equal(desktopExec(['/usr/bin/app']), '/usr/bin/app');
    assert.equal(desktopExec(['/a b/app', '']), '"/a b/app" ""');
    assert.equal(desktopExec(['/app', '$HOME', 'a\\b', 'say "hi"', '100%', 'k=v', 'new\nline']),
      '/app "\\\\$HOME" "a\\\\\\\\b" "say \\\\"hi\\\\"" 100%% "k=v" "new\\nline"');
    assert.throws(() => desktopExec(['/weird=path/app']), /forbids "="/);
    assert.throws(() => desktopExec([]), /needs a program/);
  });

  test('file names derive from the app name', () => {
    assert.equal(autostartFileName('LLM Cache Proxy'), 'llm-cache-proxy.desktop');
    assert.throws(() => autostartFileName('!!!'), TypeError);
  });

  test('a real launcher (GLib gio) runs the entry with every argument intact', { skip: needsProgram('gio', ['version']) }, async () => {
    const configHome = freshConfigHome();
    const appDir = path.join(work, 'My Apps', `it's (here) & $there`);
    fs.mkdirSync(appDir, { recursive: true });
    const execPath = path.join(appDir, 'LLM Cache Proxy');
    const report = path.join(work, 'launched.json');
    // Writes then renames, so the test never reads a half-written report.
    fs.writeFileSync(execPath, `#!${process.execPath}
const fs = require('node:fs');
fs.writeFileSync(process.env.REPORT + '.tmp', JSON.stringify(process.argv.slice(2)));
fs.renameSync(process.env.REPORT + '.tmp', process.env.REPORT);
`, { mode: 0o755 });
    const args = ['--hidden', 'two words', '', '$HOME', 'a\\b', `"quoted" 'single'`, '100%', '%f', 'k=v', 'new\nline', '`id`', '~'];
    const login = createXdgAutostart({ configHome, execPath, args, name: 'LLM Cache Proxy' });
    await login.setEnabled(true);

    execFileSync('gio', ['launch', login.path], { env: { ...process.env, REPORT: report }, stdio: 'ignore' });
    // gio starts the program and returns; wait for its report (bounded, so a failure cannot hang).
    for (let waited = 0; !fs.existsSync(report) && waited < 10_000; waited += 20) await delay(20);
    assert.deepEqual(JSON.parse(fs.readFileSync(report, 'utf8')), args);
  });
});
