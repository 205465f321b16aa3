// Why macOS (or Windows) left launch at login off after the app asked for it.
// setLoginItemSettings reports nothing; the usual causes can be read from
// where the app runs, so the user is told the one step that fixes it.
import type { LoginItemRefusal } from '../menu/types.js';

const MOVE_TO_APPLICATIONS = 'Move the app to Applications and try again.';

/** `appPath`: Electron's app.getAppPath(), inside the .app bundle when packaged. */
export function loginItemRefusal(platform: NodeJS.Platform, appPath: string): LoginItemRefusal {
  if (platform === 'win32') {
    return { reason: 'Windows did not register the login item.', remedy: 'Check Startup apps in Windows Settings.' };
  }
  if (appPath.startsWith('/Volumes/')) {
    return { reason: 'The app is running from its disk image, which macOS will not start at login.', remedy: MOVE_TO_APPLICATIONS };
  }
  if (appPath.includes('/AppTranslocation/')) {
    return {
      reason: 'macOS runs the app from a temporary copy (App Translocation) because it was opened where it was downloaded.',
      remedy: MOVE_TO_APPLICATIONS,
    };
  }
  return { reason: 'macOS did not register the login item (this happens to apps outside Applications and to unsigned copies).', remedy: MOVE_TO_APPLICATIONS };
}
