// Write to a temporary file beside the target, then rename over it: readers
// (and a crash half-way) see either the old file or the new one, never a torn one.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

function temporaryPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export function writeFileAtomicSync(file: string, data: string, mode: number): void {
  const temporary = temporaryPathFor(file);
  try {
    fs.writeFileSync(temporary, data, { mode, flush: true });
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

export async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const temporary = temporaryPathFor(file);
  try {
    await fs.promises.writeFile(temporary, data, { mode, flush: true });
    await fs.promises.rename(temporary, file);
  } catch (error) {
    await fs.promises.rm(temporary, { force: true });
    throw error;
  }
}
