import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult, type IFlattenedRuleSet } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

const projectRoot = join(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
/** The rooms' floors and the rules that follow from them (see the table at the top of the file). */
const config = require(join(projectRoot, '.dependency-cruiser.cjs')) as { forbidden: NonNullable<IFlattenedRuleSet['forbidden']> };

/** Every rule violation dependency-cruiser finds under `roots` of `baseDir`, as "rule: from → to" lines. */
async function violations(baseDir: string, roots: string[]): Promise<string[]> {
  const { output } = await cruise(
    roots,
    { baseDir, validate: true, ruleSet: { forbidden: config.forbidden }, tsPreCompilationDeps: true, doNotFollow: { path: 'node_modules' } },
    undefined,
    { tsConfig: { fileName: join(projectRoot, 'tsconfig.json') } } as never,
  );
  const result = output as ICruiseResult;
  return (result.summary.violations ?? []).map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => (typeof c === 'string' ? c : c.name)).join(' → ')})` : ''}`);
}

const scratch = mkdtempSync(join(tmpdir(), 'micflow-layering-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A throwaway tree of TypeScript files: path → contents. */
function plant(name: string, files: Record<string, string>): string {
  const root = join(scratch, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the rooms of src/', () => {
  describe('having the project as it is', () => {
    it('should import only downward, with no circles and no room missing from the table', async () => {
      expect(await violations(projectRoot, ['src', 'pipelines'])).toEqual([]);
    }, 120_000);
  });

  describe('when the runtime imports the graph', () => {
    it('should report the forbidden arrow', async () => {
      const root = plant('runtime-up', {
        'src/graph/stage.ts': 'export const stageKind = 1;\n',
        'src/runtime/planted.ts': "import { stageKind } from '../graph/stage.js';\nexport const x = stageKind;\n",
      });
      expect(await violations(root, ['src'])).toEqual(['runtime-imports-downward-only: src/runtime/planted.ts → src/graph/stage.ts']);
    });
  });

  describe('when a stage imports a pipeline, the image room a stage, or two images modules each other', () => {
    it('should report each', async () => {
      const root = plant('mixed', {
        'pipelines/supervised.ts': 'export default 1;\n',
        'src/stages/losses/dice.ts': "import p from '../../../pipelines/supervised.js';\nexport const d = p;\n",
        'src/images/grid.ts': "import { d } from '../stages/losses/dice.js';\nimport { b } from './b.js';\nexport const a = d + b;\n",
        'src/images/b.ts': "import { a } from './grid.js';\nexport const b = 1;\nexport const c = a;\n",
      });
      const found = await violations(root, ['src', 'pipelines']);
      expect(found).toContain('stages-imports-downward-only: src/stages/losses/dice.ts → pipelines/supervised.ts');
      expect(found).toContain('images-imports-downward-only: src/images/grid.ts → src/stages/losses/dice.ts');
      expect(found.some((v) => v.startsWith('no-circular: src/images/'))).toBe(true);
    });
  });

  describe('when a folder under src/ is not in the table', () => {
    it('should report the unknown room', async () => {
      const root = plant('unknown-room', {
        'src/errors/micflow-error.ts': 'export const e = 1;\n',
        'src/utilities/helper.ts': "import { e } from '../errors/micflow-error.js';\nexport const h = e;\n",
      });
      expect(await violations(root, ['src'])).toEqual(['no-unknown-room: src/utilities/helper.ts → src/errors/micflow-error.ts']);
    });

    it('should have a floor for every folder of the project', () => {
      const rooms = readdirSync(join(projectRoot, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
      const ruled = new Set(config.forbidden.map((rule) => (rule.name ?? '').replace(/-imports-downward-only$/, '')));
      expect(rooms.filter((room) => !ruled.has(room))).toEqual([]);
    });
  });
});
