import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferUsersOf, nodeFree } from '../../scripts/browser-bundle-guards.mjs';

const projectRoot = join(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'micflow-bundle-guards-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function plant(name: string, files: Record<string, string>): string {
  const root = join(scratch, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const bundle = (root: string, entry: string, nodePaths: string[] = []) =>
  build({ absWorkingDir: root, entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'browser', metafile: true, logLevel: 'silent', plugins: [nodeFree(root)], nodePaths });
const failureTexts = async (result: Promise<unknown>) => ((await result.catch((e: unknown) => e)) as { errors?: { text: string }[] }).errors?.map((e) => e.text) ?? [];

describe('the browser bundle guards (scripts/browser-bundle-guards.mjs)', () => {
  it('should fail the build on Node-only imports, naming each and the file', async () => {
    const root = plant('imports', {
      'src/a.ts': "import './b.ts';\nexport const a = 1;\n",
      'src/b.ts': "import { readFileSync } from 'node:fs';\nimport { join } from 'path';\nimport h5 from 'h5wasm';\nexport const b = [readFileSync, join, h5];\n",
    });
    const failure = (await bundle(root, 'src/a.ts').catch((e: unknown) => e)) as { errors?: { text: string }[] };
    expect(failure.errors?.map((e) => e.text).sort()).toEqual(
      ['node:fs', 'path', 'h5wasm'].map((m) => `Node-only import "${m}" from src/b.ts: it cannot go into the browser bundle (see src/stages/node-only-stages.ts and src/browser/)`).sort(),
    );
  });

  it("should let itk-wasm's browser packages in by their roots only, as their browser builds", async () => {
    const modules = [join(projectRoot, 'node_modules')];
    const root = plant('itk-wasm', {
      'src/ok.ts': "import { gdcmReadImage } from '@itk-wasm/image-io';\nimport { readImageDicomFileSeries } from '@itk-wasm/dicom';\nexport const ok = [gdcmReadImage, readImageDicomFileSeries];\n",
      'src/node-function.ts': "import { readImageNode } from '@itk-wasm/image-io';\nexport const bad = readImageNode;\n",
      'src/deep.ts': "import * as io from '@itk-wasm/image-io/dist/index-node.js';\nimport * as itk from 'itk-wasm';\nexport const bad = [io, itk];\n",
    });
    const inputs = Object.keys((await bundle(root, 'src/ok.ts', modules)).metafile.inputs).filter((f) => /@itk-wasm\/(image-io|dicom)\/dist\/index(-node)?\.js$/.test(f));
    expect(inputs.map((f) => f.slice(f.indexOf('@itk-wasm/'))).sort()).toEqual(['@itk-wasm/dicom/dist/index.js', '@itk-wasm/image-io/dist/index.js']);
    expect(await failureTexts(bundle(root, 'src/node-function.ts', modules))).toEqual([expect.stringMatching(/No matching export in ".*@itk-wasm\/image-io\/dist\/index\.js" for import "readImageNode"/)]);
    expect((await failureTexts(bundle(root, 'src/deep.ts', modules))).sort()).toEqual(
      ['@itk-wasm/image-io/dist/index-node.js', 'itk-wasm'].map((m) => `Node-only import "${m}" from src/deep.ts: it cannot go into the browser bundle (see src/stages/node-only-stages.ts and src/browser/)`),
    );
  });

  it("should find Node's Buffer used in a bundled file, not in a comment", async () => {
    const root = plant('buffer', {
      'src/a.ts': "import { b } from './b.ts';\nimport { c } from './c.ts';\nexport const a = [b, c];\n",
      'src/b.ts': 'export const b = Buffer.from([1, 2]);\n',
      'src/c.ts': '/** Unlike Buffer.from, this is a Uint8Array. */\nexport const c = Uint8Array.of(1);\n',
    });
    expect(bufferUsersOf((await bundle(root, 'src/a.ts')).metafile, root)).toEqual(['src/b.ts']);
  });

  it("should pass micflow's browser entry, which holds none of the Node readers", async () => {
    const result = await bundle(projectRoot, 'src/browser/index.ts');
    expect(bufferUsersOf(result.metafile, projectRoot)).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs).filter((f) => f.startsWith('src/'));
    expect(inputs).toContain('src/graph/compile-nodes.ts');
    expect(inputs.filter((f) => /^src\/(io\/read-|stages\/datasets\/csv-dataset\.ts|stages\/hooks\/evaluate-segmentation|checkpoints\/checkpoint-store\.ts|run\/pipeline-run\.ts)/.test(f))).toEqual([]);
  });
});
