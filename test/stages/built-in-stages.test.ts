import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInStageClasses } from '../../src/stages/built-in-stages.js';

const stagesDirectory = join(import.meta.dirname, '../../src/stages');

/** Every `static readonly className = '...'` declared under src/stages, with its file. */
function declaredStageNames(directory: string): Array<{ name: string; file: string }> {
  const found: Array<{ name: string; file: string }> = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...declaredStageNames(path));
    else if (entry.name.endsWith('.ts')) {
      for (const match of readFileSync(path, 'utf8').matchAll(/static (?:override )?readonly className = '([^']+)'/g)) {
        found.push({ name: match[1], file: relative(stagesDirectory, path) });
      }
    }
  }
  return found;
}

describe('the built-in stage list', () => {
  describe('having stage classes declared in src/stages', () => {
    it('should register every one of them (a concurrent edit of the list must not drop a stage)', () => {
      const registered = new Set(builtInStageClasses.map((c) => c.className));
      const missing = declaredStageNames(stagesDirectory).filter((s) => !registered.has(s.name));
      expect(missing).toEqual([]);
    });

    it('should register each name once', () => {
      const names = builtInStageClasses.map((c) => c.className);
      expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    });
  });
});
