// Stand-ins for what Electron provides: the tray and menu (passed to wireTray
// as a parameter, no module mocking), and the desktop services and login item
// the controller is given. They record what they are asked to do, and let a
// test click the tray icon and the menu's items.
import type { MenuItemConstructorOptions } from 'electron';
import type { TrayElectron, TrayLike } from '../../main/app/tray.js';
import type { LoginItemService, LoginItemStatus, Notice, PlatformServices } from '../../main/core/controller/types.js';
import type { LoginItemRefusal } from '../../main/core/menu/types.js';

export class FakePlatform implements PlatformServices {
  clipboard = '';
  readonly notices: Notice[] = [];
  readonly urls: string[] = [];
  readonly paths: string[] = [];
  activityOpened = 0;
  quitRequested = 0;
  async writeClipboard(text: string): Promise<void> { this.clipboard = text; }
  async openUrl(url: string): Promise<void> { this.urls.push(url); }
  async openPath(file: string): Promise<void> { this.paths.push(file); }
  notify(notice: Notice): void { this.notices.push(notice); }
  openActivity(): void { this.activityOpened++; }
  quit(): void { this.quitRequested++; }
  /** What the power source says: mains unless a test unplugs it. */
  battery: boolean | null = false;
  onBattery(): boolean | null { return this.battery; }
}

/** Stands in for app.setLoginItemSettings; `status` is what System Settings currently says. */
export class FakeLoginItem implements LoginItemService {
  readonly supported = true;
  status: LoginItemStatus = { enabled: false, requiresApproval: false };
  refuseWith: Error | null = null;
  /** Like macOS with an app on a disk image: set() succeeds and nothing changes. */
  ignoresSet = false;
  readonly calls: boolean[] = [];
  reads = 0;
  async get(): Promise<LoginItemStatus> {
    this.reads++;
    return this.status;
  }
  async set(enabled: boolean): Promise<void> {
    if (this.refuseWith) throw this.refuseWith;
    this.calls.push(enabled);
    if (!this.ignoresSet) this.status = { enabled, requiresApproval: false };
  }
  refusal(): LoginItemRefusal {
    return { reason: 'The app is running from its disk image.', remedy: 'Move the app to Applications and try again.' };
  }
}

export class FakeMenu {
  constructor(readonly template: MenuItemConstructorOptions[]) {}

  /** The item with this id, searched through submenus too. */
  item(id: string): MenuItemConstructorOptions {
    const found = findItem(this.template, id);
    if (!found) throw new Error(`no menu item "${id}"`);
    return found;
  }

  /** Clicks the item like Electron would; throws when it is disabled or has no action. */
  click(id: string): void {
    const item = this.item(id);
    if (item.enabled === false) throw new Error(`menu item "${id}" is disabled`);
    if (!item.click) throw new Error(`menu item "${id}" does nothing when clicked`);
    (item.click as () => void)();
  }
}

function findItem(items: readonly MenuItemConstructorOptions[], id: string): MenuItemConstructorOptions | undefined {
  for (const item of items) {
    if (item.id === id) return item;
    const inner = Array.isArray(item.submenu) ? findItem(item.submenu, id) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

export class FakeTray implements TrayLike<FakeMenu> {
  readonly images: string[];
  readonly toolTips: string[] = [];
  readonly titles: string[] = [];
  readonly contextMenus: (FakeMenu | null)[] = [];
  readonly poppedUp: FakeMenu[] = [];
  ignoresDoubleClicks = false;
  destroyed = false;
  readonly #listeners = new Map<string, (() => void)[]>();
  readonly #popUpWaiters: ((menu: FakeMenu) => void)[] = [];

  constructor(image: string) {
    this.images = [image];
  }

  setImage(image: string): void { this.#alive().images.push(image); }
  setToolTip(toolTip: string): void { this.#alive().toolTips.push(toolTip); }
  setTitle(title: string): void { this.#alive().titles.push(title); }
  destroy(): void { this.destroyed = true; }

  /** Electron throws when a destroyed tray is used. */
  #alive(): this {
    if (this.destroyed) throw new Error('Object has been destroyed');
    return this;
  }
  setContextMenu(menu: FakeMenu | null): void { this.contextMenus.push(menu); }
  setIgnoreDoubleClickEvents(ignore: boolean): void { this.ignoresDoubleClicks = ignore; }

  popUpContextMenu(menu?: FakeMenu): void {
    if (!menu) throw new Error('popUpContextMenu without a menu shows nothing here');
    this.poppedUp.push(menu);
    this.#popUpWaiters.splice(0).forEach((resolve) => resolve(menu));
  }

  on(event: 'click' | 'right-click', listener: () => void): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }

  listenerCount(event: 'click' | 'right-click'): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Clicks the icon and resolves with the menu that pops up. */
  click(event: 'click' | 'right-click' = 'click'): Promise<FakeMenu> {
    const popped = new Promise<FakeMenu>((resolve) => this.#popUpWaiters.push(resolve));
    for (const listener of this.#listeners.get(event) ?? []) listener();
    return popped;
  }
}

export interface FakeElectron extends TrayElectron<FakeMenu> {
  readonly trays: FakeTray[];
}

export function createFakeElectron(): FakeElectron {
  const trays: FakeTray[] = [];
  return {
    trays,
    createTray(imagePath) {
      const tray = new FakeTray(imagePath);
      trays.push(tray);
      return tray;
    },
    buildMenu: (template) => new FakeMenu(template),
  };
}
