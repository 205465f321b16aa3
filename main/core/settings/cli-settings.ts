import os from 'node:os';
import Conf from 'conf';
import type { OpenedSettings } from './open.js';
import { openSettings } from './open.js';
import { defaultConfigDir } from './paths.js';
import type { Settings } from './schema.js';

/** The headless CLI's view of the app's settings file, through conf. */
export function openCliSettings(dir: string = defaultConfigDir(process.platform, process.env, os.homedir())): OpenedSettings<Conf<Settings>> {
  return openSettings((options) => new Conf<Settings>(options), { dir });
}
