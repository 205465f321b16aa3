// `npm run dist`'s signing: scripts/dist.ts adds it over electron-builder.yml.
// Signing is what decides whether another Mac opens the app:
// - with a Developer ID Application certificate (in the keychain, or CSC_LINK
//   / CSC_NAME) the app is signed with it under the hardened runtime and its
//   entitlements, and notarized when Apple credentials are set (APPLE_ID +
//   APPLE_APP_SPECIFIC_PASSWORD + APPLE_TEAM_ID, or APPLE_API_KEY +
//   APPLE_API_KEY_ID + APPLE_API_ISSUER, or APPLE_KEYCHAIN_PROFILE);
// - without one it is signed ad hoc ("-"). Unsigned, Gatekeeper calls a
//   downloaded app "damaged"; ad hoc, it only needs the user's approval once.
//   The hardened runtime stays off there: it brings nothing without
//   notarization, and its library validation rejects Electron's ad-hoc-signed
//   frameworks.
import { execFileSync } from 'node:child_process';

type Env = Readonly<Record<string, string | undefined>>;

export interface MacSigning {
  readonly kind: 'developer-id' | 'ad-hoc';
  /** "-" for ad hoc; absent lets electron-builder find the Developer ID (CSC_NAME, CSC_LINK or the keychain). */
  readonly identity?: string;
  readonly hardenedRuntime: boolean;
  readonly notarize: boolean;
  /** One line for the build log: what the user of this build will see, and how to get the other. */
  readonly summary: string;
}

function hasNotarizeCredentials(env: Env): boolean {
  return Boolean((env['APPLE_ID'] && env['APPLE_APP_SPECIFIC_PASSWORD'] && env['APPLE_TEAM_ID'])
    || (env['APPLE_API_KEY'] && env['APPLE_API_KEY_ID'] && env['APPLE_API_ISSUER'])
    || env['APPLE_KEYCHAIN_PROFILE']);
}

/** `identities`: the lines of `security find-identity -v -p codesigning` (empty off macOS). */
export function macSigning(env: Env, identities: readonly string[]): MacSigning {
  const inKeychain = env['CSC_IDENTITY_AUTO_DISCOVERY'] !== 'false' && identities.some((line) => line.includes('"Developer ID Application:'));
  const notarize = hasNotarizeCredentials(env);
  if (env['CSC_LINK'] || env['CSC_NAME'] || inKeychain) {
    return {
      kind: 'developer-id',
      hardenedRuntime: true,
      notarize,
      summary: notarize
        ? 'signing with your Developer ID and notarizing: opens on any Mac without a warning'
        : 'signing with your Developer ID, not notarizing (set APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD and APPLE_TEAM_ID to notarize): other Macs will ask once before opening it',
    };
  }
  if (notarize) {
    throw new Error('Apple notarization credentials are set, but no Developer ID Application certificate was found: '
      + 'install it in the keychain, or set CSC_LINK (and CSC_KEY_PASSWORD) to its .p12.');
  }
  return {
    kind: 'ad-hoc',
    identity: '-',
    hardenedRuntime: false,
    notarize: false,
    summary: 'signing ad hoc (no Developer ID certificate found): other Macs will ask once before opening it (System Settings › Privacy & Security › Open Anyway)',
  };
}

export function keychainIdentities(platform: NodeJS.Platform = process.platform): string[] {
  if (platform !== 'darwin') return [];
  try {
    return execFileSync('security', ['find-identity', '-v', '-p', 'codesigning'], { encoding: 'utf8' }).split('\n');
  } catch {
    return [];
  }
}

/** What `npm run dist` adds over electron-builder.yml for this machine's signing. */
export function signingOverrides(signing: MacSigning): Record<string, unknown> {
  return {
    mac: {
      ...(signing.identity === undefined ? {} : { identity: signing.identity }),
      hardenedRuntime: signing.hardenedRuntime,
      notarize: signing.notarize,
      ...(signing.hardenedRuntime ? { entitlements: 'build/entitlements.mac.plist', entitlementsInherit: 'build/entitlements.mac.plist' } : {}),
    },
  };
}
