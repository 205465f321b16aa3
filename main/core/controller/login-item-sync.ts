// The app's second job: keeping launch at login in step with the operating
// system, which is the truth (the user may change it in System Settings), and
// telling why when the OS quietly refused to register the item.
import type { LoginItemRefusal, LoginItemView } from '../menu/types.js';
import type { SettingsProblem } from '../ui/bridge.js';
import type { LoginItemService } from './types.js';

const UNKNOWN_REFUSAL: LoginItemRefusal = {
  reason: 'The operating system did not register the login item.',
  remedy: 'Check the login items in your system settings.',
};

export class LoginItemSync {
  #view: LoginItemView;

  /** `onChange` hears every change of what the menu shows about the item. */
  constructor(private readonly service: LoginItemService, private readonly onChange: () => void) {
    this.#view = { supported: service.supported, enabled: false, requiresApproval: false };
  }

  get view(): LoginItemView {
    return this.#view;
  }

  /** Re-reads the item from the OS; returns whether it is on, or null where there is no login item. */
  async refresh(): Promise<boolean | null> {
    if (!this.service.supported) return null;
    const status = await this.service.get();
    const changed = status.enabled !== this.#view.enabled || status.requiresApproval !== this.#view.requiresApproval;
    // The reason it was refused stays on show until the item is on.
    const refused = status.enabled ? undefined : this.#view.refused;
    this.#view = { supported: true, ...status, ...(refused ? { refused } : {}) };
    if (changed) this.onChange();
    return status.enabled;
  }

  /** Turns the item on or off; the error names what went wrong for the Settings window's field. */
  async set(enabled: boolean): Promise<SettingsProblem | null> {
    if (!this.service.supported) {
      return enabled ? { field: 'launchAtLogin', message: 'Launch at login is not available for this copy of the app.' } : null;
    }
    try {
      await this.service.set(enabled);
      await this.refresh();
    } catch (error) {
      return { field: 'launchAtLogin', message: `Could not change launch at login: ${error instanceof Error ? error.message : String(error)}` };
    }
    // macOS answers a login item it will not register with silence: only reading it back tells.
    if (!enabled || this.#view.enabled) {
      if (this.#view.refused) {
        const { supported, enabled: on, requiresApproval } = this.#view;
        this.#view = { supported, enabled: on, requiresApproval };
        this.onChange();
      }
      return null;
    }
    const refused = this.service.refusal?.() ?? UNKNOWN_REFUSAL;
    this.#view = { ...this.#view, refused };
    this.onChange();
    return { field: 'launchAtLogin', message: `Launch at login did not take effect. ${refused.reason} ${refused.remedy}` };
  }
}
