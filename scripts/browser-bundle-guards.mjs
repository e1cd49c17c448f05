/**
 * What keeps Node out of the browser bundle (scripts/build-browser.mjs; tested by test/scripts/browser-bundle-guards.test.ts).
 */
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';

const nodeOnlyPackages = /^(node:|h5wasm|bullmq|ioredis|@itk-wasm\/|itk-wasm|@tensorflow\/tfjs-node|msgpackr)/;
/**
 * itk-wasm packages micflow's browser code may import, by their root only: esbuild resolves a package root through
 * its "browser" export condition to the package's browser build, which holds none of the *Node functions (an import
 * of one fails the build as a missing export). Their subpaths (dist/index-node.js, ...) stay refused, and so does
 * every other itk-wasm import.
 */
const browserItkWasm = new Set(['@itk-wasm/image-io', '@itk-wasm/dicom']);
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * An esbuild plugin refusing Node-only imports (a builtin, node:*, h5wasm, bullmq, ioredis, itk-wasm but the roots of
 * its browser packages above, tfjs-node) from the files under `root` outside node_modules, naming the import and the
 * importing file. Dependencies' own imports are left to esbuild, which maps them through their package.json
 * "browser" fields or fails.
 */
export function nodeFree(root) {
  return {
    name: 'node-free',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!args.importer || args.importer.includes('node_modules')) return undefined;
        const bare = args.path.split('/').slice(0, args.path.startsWith('@') ? 2 : 1).join('/');
        if (browserItkWasm.has(args.path)) return undefined;
        if (builtins.has(args.path) || builtins.has(bare) || nodeOnlyPackages.test(args.path)) {
          return { errors: [{ text: `Node-only import "${args.path}" from ${relative(root, args.importer)}: it cannot go into the browser bundle (see src/stages/node-only-stages.ts and src/browser/)` }] };
        }
        return undefined;
      });
    },
  };
}

/** The bundled files outside node_modules that use Node's Buffer (a global, so no import to catch), comments ignored. */
export function bufferUsersOf(metafile, root) {
  return Object.keys(metafile.inputs)
    .filter((file) => !file.includes('node_modules') && /\.(ts|js|mjs)$/.test(file))
    .filter((file) => /(^|[^.\w])Buffer\.(from|alloc|concat|isBuffer)/.test(readFileSync(join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')));
}
