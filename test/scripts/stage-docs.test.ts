import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedStageDocs } from '../../scripts/stage-docs.js';

const root = join(import.meta.dirname, '../..');

describe('the generated stage docs', () => {
  describe('having the stage registry as it is', () => {
    it.each(generatedStageDocs(root).map(({ file, text }) => [file.slice(root.length + 1), text] as const))(
      'should find %s current (npm run docs regenerates it)',
      (file, text) => {
        expect(readFileSync(join(root, file), 'utf8')).toBe(text);
      },
    );
  });
});
