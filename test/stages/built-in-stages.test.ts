import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { StageClass } from '../../src/graph/stage.js';
import { builtInStageClasses, stageFamilies } from '../../src/stages/built-in-stages.js';

const stagesDirectory = join(import.meta.dirname, '../../src/stages');

/** A class a module exports that is a stage: it has its own static className and kind. */
function isStageClass(value: unknown): value is StageClass {
  return typeof value === 'function' && Object.hasOwn(value, 'className') && typeof (value as { kind?: unknown }).kind === 'string';
}

/** Every stage class exported by any module of a family folder (nested folders included), with its file. */
async function stageClassesDefinedIn(folder: string): Promise<Array<{ stageClass: StageClass; file: string }>> {
  const found: Array<{ stageClass: StageClass; file: string }> = [];
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name === 'index.ts') continue;
    const file = join(entry.parentPath, entry.name);
    const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) if (isStageClass(value)) found.push({ stageClass: value, file });
  }
  return found;
}

describe('the built-in stages', () => {
  describe('having one folder per stage family under src/stages', () => {
    const folders = readdirSync(stagesDirectory, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

    it('should assemble the built-in list from every family folder, each with an index', () => {
      expect(Object.keys(stageFamilies).sort()).toEqual(folders.sort());
    });

    it.each(folders)('should export from %s/index.ts every stage class its modules define', async (folder) => {
      const exported = new Set(Object.values(stageFamilies[folder]));
      const defined = await stageClassesDefinedIn(join(stagesDirectory, folder));
      const missing = defined.filter(({ stageClass }) => !exported.has(stageClass)).map(({ stageClass, file }) => `${stageClass.className} (${file})`);
      expect(missing).toEqual([]);
      expect(defined.length).toBeGreaterThan(0);
    });
  });

  describe('when the families are joined', () => {
    it('should hold only stage classes, each name once', () => {
      expect(builtInStageClasses.filter((c) => !isStageClass(c))).toEqual([]);
      const names = builtInStageClasses.map((c) => c.className);
      expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    });

    it('should give every stage a one-line description and a kind', () => {
      for (const stageClass of builtInStageClasses) {
        expect(stageClass.description.length, stageClass.className).toBeGreaterThan(10);
        expect(stageClass.description, stageClass.className).not.toContain('\n');
        expect(['samples', 'feeder', 'network', 'tensor', 'optimiser', 'hook', 'probe']).toContain(stageClass.kind);
      }
    });
  });
});
