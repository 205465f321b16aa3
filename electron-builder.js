// `npm run dist` (after `npm run build`): see scripts/electron-builder-config.ts.
import { builderConfig, keychainIdentities, macSigning } from './dist/scripts/electron-builder-config.js';

const signing = macSigning(process.env, keychainIdentities());
if (process.argv.includes('--mac') || process.platform === 'darwin') console.log(`llm-cache-proxy: ${signing.summary}`);
export default builderConfig(signing);
