#!/usr/bin/env node
// Installs the development-only llama.cpp engine (node-llama-cpp) into
// bench/engine/node_modules, leanly and without ever downloading or building
// llama.cpp itself:
//   1. `npm install --omit=optional` from this folder's lockfile (not `npm ci`:
//      the lockfile cannot list platform packages a registry lacks, and ci
//      refuses that): node-llama-cpp and
//      its JS dependencies, none of its 14 platform binary packages (a plain
//      install on linux-x64 pulls CUDA and Vulkan builds too, about 725 MB);
//   2. the one prebuilt CPU package for this machine (`@node-llama-cpp/linux-x64`
//      here, 30 MB; `mac-arm64-metal` / `mac-x64` on a Mac), fetched with
//      `npm pack` at node-llama-cpp's own version and checked against the
//      lockfile's integrity where the lockfile records one.
// Platform packages are optional dependencies whose os/cpu fields overlap
// (linux-arm64 declares x64 too), so listing one as a hard dependency would
// break every other machine; choosing it here keeps a Mac installing. Where the
// registry has no prebuilt build for this machine the install still succeeds;
// the engine then reports itself unavailable and its tests skip with that reason.
// Run from anywhere: `npm run engine:install` at the repository root.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const env = { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' };
const lock = JSON.parse(readFileSync(join(here, 'package-lock.json'), 'utf8'));

/** The CPU-only prebuilt package name node-llama-cpp would load on this machine. */
function cpuPackage() {
  const os = { linux: 'linux', darwin: 'mac', win32: 'win' }[process.platform];
  const arch = process.arch === 'arm' ? 'armv7l' : process.arch;
  if (os === undefined) return null;
  return `@node-llama-cpp/${os}-${arch}${os === 'mac' && arch === 'arm64' ? '-metal' : ''}`;
}

const stamp = join(here, 'node_modules', '.engine-install.json');
const wanted = JSON.stringify({ lock: createHash('sha256').update(JSON.stringify(lock)).digest('hex'), platform: `${process.platform}-${process.arch}` });
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted && process.argv[2] !== '--force') {
  console.log('engine: already installed (bench/engine/node_modules)');
  process.exit(0);
}

execFileSync(npm, ['install', '--omit=optional', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: here, env, stdio: 'inherit' });

const engineVersion = lock.packages['node_modules/node-llama-cpp'].version;
const name = cpuPackage();
const locked = name === null ? undefined : lock.packages[`node_modules/${name}`];
let tarball = null;
const work = mkdtempSync(join(tmpdir(), 'engine-install-'));
try {
  if (name !== null) {
    try {
      tarball = join(work, execFileSync(npm, ['pack', `${name}@${engineVersion}`, '--silent', '--pack-destination', work], { cwd: work, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop());
    } catch {
      tarball = null;
    }
  }
  if (tarball === null) {
    console.log(`engine: no prebuilt CPU build of node-llama-cpp ${engineVersion} for ${process.platform}-${process.arch}; the engine bench and tests will skip here.`);
  } else {
    if (locked !== undefined) {
      const [algorithm, expected] = locked.integrity.split(/-(.*)/s);
      if (createHash(algorithm).update(readFileSync(tarball)).digest('base64') !== expected) throw new Error(`engine: ${name}@${engineVersion} does not match the lockfile's integrity`);
    }
    const target = join(here, 'node_modules', ...name.split('/'));
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
    console.log(`engine: node-llama-cpp ${engineVersion} with ${name} (${readdirSync(join(target, 'bins')).join(', ')})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
writeFileSync(stamp, wanted);
