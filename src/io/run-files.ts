import type { ValidationOverlay } from './validation-overlay.js';

/**
 * Where a run's stages put the files they make (evaluation tables, validation overlays), by path relative to the
 * run: the run directory in Node ({@link runDirectoryFiles} in run-directory-files.ts), memory in a browser tab
 * ({@link InMemoryRunFiles}), or nowhere for a run without a directory. Stages write through this instead of the file
 * system, so the same stage runs in Node and in the tab.
 */
export interface RunFiles {
  /** Whether written files are kept anywhere; when false, stages skip making them. */
  readonly kept: boolean;
  /** Writes a file (whole, never half-written), returning where it went: an absolute path, or `memory:<path>`. */
  write(relativePath: string, content: string | Uint8Array): Promise<string>;
  /** Writes a validation overlay (the dashboard's .mfov file in Node), returning where it went. */
  writeValidationOverlay(relativePath: string, overlay: ValidationOverlay): Promise<string>;
}

/** A run that keeps no files (no run directory): writes are refused as not kept, so stages skip them. */
export const noRunFiles: RunFiles = {
  kept: false,
  write: async (relativePath) => relativePath,
  writeValidationOverlay: async (relativePath) => relativePath,
};

/** A tab's run files: kept in memory, by relative path, for the page to show or offer as downloads. */
export class InMemoryRunFiles implements RunFiles {
  readonly kept = true;
  readonly files = new Map<string, string | Uint8Array>();
  readonly overlays = new Map<string, ValidationOverlay>();

  async write(relativePath: string, content: string | Uint8Array): Promise<string> {
    this.files.set(relativePath, content);
    return `memory:${relativePath}`;
  }

  async writeValidationOverlay(relativePath: string, overlay: ValidationOverlay): Promise<string> {
    this.overlays.set(relativePath, overlay);
    return `memory:${relativePath}`;
  }
}
