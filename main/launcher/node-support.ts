// Which Node can run Electron's first-use download. Electron 45's install.js
// `require`s @electron/get, an ES module: that works from Node 20.19 (where
// require(esm) was enabled by default) and from 22.12 on the 22 line; on
// 20.11–20.18 and 22.0–22.11 it throws ERR_REQUIRE_ESM, and 21 never had it
// unflagged. package.json's `engines` says the same.
export const NODE_REQUIREMENT = '^20.19.0 || >=22.12.0';

export function nodeRunsElectronInstaller(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major === 20) return minor >= 19;
  if (major === 22) return minor >= 12;
  return major >= 23;
}
