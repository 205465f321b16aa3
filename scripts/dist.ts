// `npm run dist` (after `npm run build`): electron-builder with electron-builder.yml,
// plus the signing this machine can do (scripts/electron-builder-config.ts).
import { createRequire } from 'node:module';
import { keychainIdentities, macSigning, signingOverrides } from './electron-builder-config.js';

interface ElectronBuilder {
  build(options: { mac?: string[]; config?: Record<string, unknown> }): Promise<string[]>;
}

try {
  const signing = macSigning(process.env, keychainIdentities());
  console.log(`llm-cache-proxy: ${signing.summary}`);
  // electron-builder is CommonJS, and a dev dependency the compiled app never loads.
  const { build } = createRequire(import.meta.url)('electron-builder') as ElectronBuilder;
  const artifacts = await build({ mac: [], config: signingOverrides(signing) });
  console.log(artifacts.join('\n'));
} catch (err) {
  console.error(`llm-cache-proxy: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
