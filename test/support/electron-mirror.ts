// A stand-in for Electron's release downloads, served the way @electron/get
// fetches them ($ELECTRON_MIRROR/v<version>/electron-v<version>-<platform>-<arch>.zip
// and SHASUMS256.txt beside it), holding a stand-in for the Electron binary.
// The real binary cannot be downloaded here; this one behaves like it where
// the launcher can tell: it runs in the folder it is started in, takes the app
// folder as its first argument, and quits the way Chromium does on a signal:
// gracefully on the first SIGINT/SIGTERM/SIGHUP (the default action restored
// at once), so a second signal kills it before it has finished.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

/** What the stand-in writes to $FAKE_ELECTRON_REPORT (JSON), rewritten on every change. */
export interface ElectronReport {
  readonly pid: number;
  readonly cwd: string;
  readonly argv: readonly string[];
  readonly signals: readonly string[];
  /** True once it quit after letting its streams finish. */
  readonly drained: boolean;
}

/** How long the stand-in's graceful quit takes. */
export const DRAIN_MS = 400;

function binaryScript(): string {
  return `#!${process.execPath}
const fs = require('node:fs');
const state = { pid: process.pid, cwd: process.cwd(), argv: process.argv.slice(2), signals: [], drained: false };
const save = () => fs.writeFileSync(process.env.FAKE_ELECTRON_REPORT, JSON.stringify(state));
save();
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const onSignal = (signal) => {
  state.signals.push(signal);
  save();
  for (const s of signals) process.removeAllListeners(s);
  setTimeout(() => { state.drained = true; save(); process.exit(0); }, ${DRAIN_MS});
};
for (const s of signals) process.on(s, onSignal);
setInterval(() => undefined, 60000);
`;
}

interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
  readonly mode: number;
}

/** A zip with stored (uncompressed) entries and Unix modes, which is all an Electron release zip needs here. */
export function zipStored(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data, mode } of entries) {
    const nameBytes = Buffer.from(name);
    const crc = zlib.crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export interface ElectronMirror {
  /** For $ELECTRON_MIRROR (ends in a slash). */
  readonly url: string;
  readonly zipBytes: number;
  close(): Promise<void>;
}

/** Serves Electron `version` for this platform and arch; `padding` bytes make the download long enough to show progress. */
export async function startElectronMirror(version: string, padding = 3_000_000): Promise<ElectronMirror> {
  const file = `electron-v${version}-${process.platform}-${process.arch}.zip`;
  const zip = zipStored([
    { name: 'electron', data: Buffer.from(binaryScript()), mode: 0o755 },
    { name: 'version', data: Buffer.from(version), mode: 0o644 },
    { name: 'resources.pak', data: Buffer.alloc(padding, 7), mode: 0o644 },
  ]);
  const sums = `${createHash('sha256').update(zip).digest('hex')} *${file}\n`;
  const server = http.createServer((req, res) => {
    const body = req.url === `/v${version}/${file}` ? zip : req.url === `/v${version}/SHASUMS256.txt` ? Buffer.from(sums) : null;
    if (!body) {
      res.writeHead(404).end('Not Found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    // In pieces, as a real download arrives, so progress has steps to report.
    let at = 0;
    const next = (): void => {
      if (at >= body.length) return void res.end();
      const piece = body.subarray(at, at + 256 * 1024);
      at += piece.length;
      res.write(piece, next);
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    zipBytes: zip.length,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
