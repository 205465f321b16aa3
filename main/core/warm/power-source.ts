// Whether the machine runs on battery, where the platform tells without a
// helper program: Linux's power-supply class in sysfs. The app asks Electron's
// powerMonitor instead; a headless proxy on macOS does not know (null), and
// then warm start runs as on mains power.
import fs from 'node:fs';
import path from 'node:path';

const POWER_SUPPLY = '/sys/class/power_supply';

/**
 * Pure: from each supply's `type` and `online`/`status` files, true when a
 * battery discharges and no mains adapter is online; null when there is no
 * battery at all (a desktop, a server, a container).
 */
export function onBatteryFrom(supplies: readonly { type: string; online?: string; status?: string }[]): boolean | null {
  const batteries = supplies.filter((s) => s.type.trim() === 'Battery');
  if (batteries.length === 0) return null;
  if (supplies.some((s) => s.type.trim() === 'Mains' && s.online?.trim() === '1')) return false;
  return batteries.some((b) => b.status?.trim() === 'Discharging');
}

function readOptional(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads sysfs on each call (a few tiny files): the answer must follow the user unplugging. */
export function linuxOnBattery(root: string = POWER_SUPPLY): boolean | null {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return null;
  }
  return onBatteryFrom(names.map((name) => {
    const dir = path.join(root, name);
    return { type: readOptional(path.join(dir, 'type')) ?? '', online: readOptional(path.join(dir, 'online')), status: readOptional(path.join(dir, 'status')) };
  }));
}
