// The tray icon, its tooltip and its menu, all drawn from the controller's
// AppState. Electron's APIs come in as a parameter so the click → menu →
// controller path can be tested with a stand-in, without loading Electron.
import type { MenuItemConstructorOptions } from 'electron';
import type { AppController } from '../core/controller/app-controller.js';
import type { AppState, TrayIconVariant } from '../core/menu/types.js';
import { buildTrayMenu, tooltip, trayIconVariant, trayTitle } from '../core/menu/tray-menu.js';
import { toMenuTemplate } from './menu-adapter.js';
import { trayIconPath } from './tray-icons.js';

/** The part of Electron's Tray used here; Electron's own Tray satisfies it. */
export interface TrayLike<M> {
  setImage(image: string): void;
  setToolTip(toolTip: string): void;
  /** macOS: text beside the icon. */
  setTitle(title: string): void;
  setContextMenu(menu: M | null): void;
  popUpContextMenu(menu?: M): void;
  setIgnoreDoubleClickEvents(ignore: boolean): void;
  on(event: 'click' | 'right-click', listener: () => void): unknown;
  destroy(): void;
}

export interface TrayElectron<M> {
  createTray(imagePath: string): TrayLike<M>;
  buildMenu(template: MenuItemConstructorOptions[]): M;
}

export type TrayControllerLike = Pick<AppController, 'state' | 'dispatch' | 'refreshLoginItem' | 'on' | 'off'>;

export interface TrayOptions {
  readonly resourcesDir: string;
  readonly os: NodeJS.Platform;
}

export interface WiredTray<M> {
  readonly tray: TrayLike<M>;
  /** The menu as last built. */
  menu(): M;
  /** Removes the icon and stops following the controller. */
  dispose(): void;
}

export function wireTray<M>(electron: TrayElectron<M>, controller: TrayControllerLike, options: TrayOptions): WiredTray<M> {
  const initial = controller.state();
  let variant: TrayIconVariant = trayIconVariant(initial);
  const tray = electron.createTray(trayIconPath(options.resourcesDir, variant, options.os));
  // Linux tray hosts show a menu set beforehand and report no clicks; elsewhere
  // the menu pops up on click, so it can be rebuilt from fresh state first.
  const popsUp = options.os !== 'linux';
  let menu: M;

  const render = (state: AppState): void => {
    const next = trayIconVariant(state);
    if (next !== variant) tray.setImage(trayIconPath(options.resourcesDir, next, options.os));
    variant = next;
    tray.setToolTip(tooltip(state));
    // Only the macOS menu bar shows a title beside the icon.
    if (options.os === 'darwin') tray.setTitle(trayTitle(state));
    menu = electron.buildMenu(toMenuTemplate(buildTrayMenu(state), (action) => void controller.dispatch(action)));
    if (!popsUp) tray.setContextMenu(menu);
  };

  const open = async (): Promise<void> => {
    // A change made in System Settings › Login Items must show in this very menu.
    await controller.refreshLoginItem().catch(() => undefined);
    render(controller.state());
    tray.popUpContextMenu(menu);
  };

  render(initial);
  controller.on('state', render);
  if (popsUp) {
    // Quick successive clicks should each open the menu, not read as a double click.
    if (options.os === 'darwin') tray.setIgnoreDoubleClickEvents(true);
    tray.on('click', () => void open());
    tray.on('right-click', () => void open());
  }
  return {
    tray,
    menu: () => menu,
    dispose() {
      controller.off('state', render);
      tray.destroy();
    },
  };
}
