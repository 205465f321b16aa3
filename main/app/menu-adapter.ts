// The core's menu model → Electron's menu template. Pure apart from the click
// callbacks it creates; type-only use of Electron, so tests run it under Node.
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuAction, MenuItemModel } from '../core/menu/types.js';

export function toMenuTemplate(items: readonly MenuItemModel[], onAction: (action: MenuAction) => void): MenuItemConstructorOptions[] {
  return items.map((item) => {
    const options: MenuItemConstructorOptions = { id: item.id, label: item.label, type: item.type, enabled: item.enabled };
    if (item.checked !== undefined) options.checked = item.checked;
    if (item.submenu) options.submenu = toMenuTemplate(item.submenu, onAction);
    const action = item.action;
    // Electron flips a checkbox itself on click; the menu is rebuilt from state right after, so the state decides.
    if (action) options.click = () => onAction(action);
    return options;
  });
}
