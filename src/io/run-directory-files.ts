import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RunFiles } from './run-files.js';
import { noRunFiles } from './run-files.js';
import { writeValidationOverlay } from './validation-overlay-file.js';

/**
 * A run directory's files (Node): each written through a temporary file in the same folder renamed into place, so a
 * reader (the dashboard, a resumed run) never sees half a file. Without a directory, {@link noRunFiles}.
 */
export function runDirectoryFiles(runDirectory: string | undefined): RunFiles {
  if (runDirectory === undefined) return noRunFiles;
  return {
    kept: true,
    async write(relativePath, content) {
      const file = join(runDirectory, relativePath);
      await mkdir(dirname(file), { recursive: true });
      const temporary = join(dirname(file), `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
      try {
        await writeFile(temporary, content);
        await rename(temporary, file);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
      return file;
    },
    async writeValidationOverlay(relativePath, overlay) {
      const file = join(runDirectory, relativePath);
      writeValidationOverlay(file, overlay);
      return file;
    },
  };
}
