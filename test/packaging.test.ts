// `npm run dist`'s signing choice, and that electron-builder itself loads and
// accepts the configuration. Signing, notarizing and opening the result on
// another Mac can only be seen on a Mac (see the README's tested-on list).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { macSigning, signingOverrides } from '../scripts/electron-builder-config.js';

const DEVELOPER_ID = '  1) 0123456789ABCDEF0123456789ABCDEF01234567 "Developer ID Application: Ann Example (A1B2C3D4E5)"';
const APPLE_ID_CREDENTIALS = { APPLE_ID: 'ann@example.com', APPLE_APP_SPECIFIC_PASSWORD: 'abcd-efgh-ijkl-mnop', APPLE_TEAM_ID: 'A1B2C3D4E5' };
const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface MacConfig {
  identity?: string;
  hardenedRuntime: boolean;
  notarize: boolean;
  entitlements?: string;
}

describe('mac signing', () => {
  test('without a Developer ID the app is signed ad hoc, so another Mac does not call it damaged', () => {
    const signing = macSigning({}, ['     0 valid identities found']);
    assert.equal(signing.kind, 'ad-hoc');
    const mac = signingOverrides(signing)['mac'] as MacConfig;
    assert.equal(mac.identity, '-');
    assert.equal(mac.notarize, false);
    assert.equal(mac.hardenedRuntime, false, "library validation would reject Electron's ad-hoc-signed frameworks");
    assert.match(signing.summary, /ad hoc.*Open Anyway/);
  });

  test('a Developer ID in the keychain signs under the hardened runtime with the entitlements, and notarizes with Apple credentials', () => {
    const signed = signingOverrides(macSigning({}, [DEVELOPER_ID]))['mac'] as MacConfig;
    assert.equal(signed.identity, undefined, 'electron-builder finds the identity itself');
    assert.equal(signed.hardenedRuntime, true);
    assert.equal(signed.entitlements, 'build/entitlements.mac.plist');
    assert.equal(signed.notarize, false);
    assert.equal((signingOverrides(macSigning(APPLE_ID_CREDENTIALS, [DEVELOPER_ID]))['mac'] as MacConfig).notarize, true);
    const apiKey = { APPLE_API_KEY: '/keys/AuthKey.p8', APPLE_API_KEY_ID: 'KEY123', APPLE_API_ISSUER: 'issuer-uuid' };
    assert.equal(macSigning(apiKey, [DEVELOPER_ID]).notarize, true);
  });

  test('a certificate given as CSC_LINK counts as a Developer ID; CSC_IDENTITY_AUTO_DISCOVERY=false ignores the keychain', () => {
    assert.equal(macSigning({ CSC_LINK: '/certs/developer-id.p12', CSC_KEY_PASSWORD: 'x' }, []).kind, 'developer-id');
    assert.equal(macSigning({ CSC_IDENTITY_AUTO_DISCOVERY: 'false' }, [DEVELOPER_ID]).kind, 'ad-hoc');
  });

  test('Apple credentials without a Developer ID stop the build with what is missing, instead of a silent ad-hoc build', () => {
    assert.throws(() => macSigning(APPLE_ID_CREDENTIALS, []), /no Developer ID Application certificate was found.*CSC_LINK/);
  });

  test('electron-builder reads electron-builder.yml, adds the signing over it, and its schema accepts both signings', async () => {
    const require = createRequire(import.meta.url);
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      getConfig(projectDir: string, configPath: string | null, fromOptions: unknown): Promise<Record<string, unknown>>;
      validateConfiguration(config: unknown, debug: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    for (const signing of [macSigning({}, []), macSigning(APPLE_ID_CREDENTIALS, [DEVELOPER_ID])]) {
      const loaded = await getConfig(REPO, null, signingOverrides(signing));
      const mac = loaded['mac'] as MacConfig & { extendInfo?: { LSUIElement?: boolean } };
      assert.equal(mac.extendInfo?.LSUIElement, true, "the file's own settings are kept");
      assert.equal(loaded['forceCodeSigning'], true, 'a build meant to be signed never comes out unsigned');
      assert.equal(mac.identity, signing.identity);
      assert.equal(mac.hardenedRuntime, signing.hardenedRuntime);
      assert.equal(mac.notarize, signing.notarize);
      await validateConfiguration(loaded, new DebugLogger(false));
    }
  });
});
