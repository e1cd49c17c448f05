#!/usr/bin/env node
/**
 * Builds the browser bundle (issue 19) into build/browser/ (gitignored, like everything under build/):
 *
 *   micflow.js            src/browser/index.ts: validate, compile and run a pipeline module in a tab
 *   page.js, index.html   a page that opens a data folder from disk and trains a pipeline on it
 *   studio.js, studio.html, studio-worker.js
 *                         the annotation studio (npm run studio): scribble, fine-tune in a worker, accept
 *   conformance.js        src/browser/conformance-page.ts: the kernel conformance checks, run in a tab on a backend
 *   pipelines/<name>.js   every pipelines/*.ts module, as the tab imports it (its default export is the graph)
 *   chunk-*.js            code shared between them, and each tfjs backend (loaded only when chosen)
 *   *.wasm                the wasm backend's binaries
 *   itk-wasm/             itk-wasm's pipeline worker and, in pipelines/, the pipelines the tab reads DICOM, MetaImage
 *                         and NRRD with (src/browser/itk-wasm-files.json lists them): served from here, never a CDN
 *
 * esbuild bundles for the browser platform. Nothing Node-only may get in: a node: import or a Node builtin, or a
 * Node-only package (h5wasm, bullmq, ioredis, itk-wasm's node builds, tfjs-node), reached from micflow's own code
 * fails the build naming the importing file, and so does a use of Node's Buffer in a bundled micflow source file.
 *
 *   node scripts/build-browser.mjs        (npm run build:browser)
 *   node scripts/build-browser.mjs --out DIR
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bufferUsersOf, nodeFree } from './browser-bundle-guards.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// --out DIR builds elsewhere (the browser tests build one bundle each, so that two test files running at once do not
// delete each other's files mid-run).
const outArgument = process.argv.indexOf('--out');
const out = outArgument > 0 ? resolve(process.argv[outArgument + 1]) : join(root, 'build', 'browser');
const started = performance.now();
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const pipelines = readdirSync(join(root, 'pipelines')).filter((f) => f.endsWith('.ts')).sort();
const result = await build({
  absWorkingDir: root,
  entryPoints: {
    micflow: 'src/browser/index.ts',
    page: 'src/browser/page/page.js',
    studio: 'src/studio/page/studio.js',
    'studio-worker': 'src/studio/studio-worker.ts',
    conformance: 'src/browser/conformance-page.ts',
    ...Object.fromEntries(pipelines.map((f) => [`pipelines/${f.replace(/\.ts$/, '')}`, `pipelines/${f}`])),
  },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [nodeFree(root)],
});

const bufferUsers = bufferUsersOf(result.metafile, root);
if (bufferUsers.length) {
  console.error(`build:browser: Node's Buffer is used in bundled files: ${bufferUsers.join(', ')}`);
  process.exit(1);
}

const wasmDir = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
for (const file of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, file), join(out, file));
const itkWasmFiles = JSON.parse(readFileSync(join(root, 'src', 'browser', 'itk-wasm-files.json'), 'utf8'));
const itkBytes = copyItkWasm(join(out, itkWasmFiles.folder));
copyFileSync(join(root, 'src', 'browser', 'page', 'index.html'), join(out, 'index.html'));
copyFileSync(join(root, 'src', 'studio', 'page', 'studio.html'), join(out, 'studio.html'));
writeFileSync(join(out, 'pipelines.json'), JSON.stringify(pipelines.map((f) => f.replace(/\.ts$/, ''))));

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`build:browser: ${relative(root, out)}/ (${Object.keys(result.metafile.outputs).length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB; itk-wasm/ ${(itkBytes / 2 ** 20).toFixed(1)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

/**
 * Copies itk-wasm's prebuilt pipeline worker (one self-contained module: itk-wasm fetches it and starts it from a
 * blob: URL, where no relative import would resolve) and the pipelines itk-wasm-files.json lists (each a .js and a
 * .wasm.zst) into `folder`; returns the bytes copied.
 */
function copyItkWasm(folder) {
  mkdirSync(join(folder, 'pipelines'), { recursive: true });
  const copies = [[join(root, 'node_modules', 'itk-wasm', 'dist', 'pipeline', 'web-workers', 'bundles', 'itk-wasm-pipeline.min.worker.js'), join(folder, itkWasmFiles.worker)]];
  for (const [pkg, names] of Object.entries(itkWasmFiles.pipelines)) {
    for (const name of names) for (const ending of ['.js', '.wasm.zst']) copies.push([join(root, 'node_modules', pkg, 'dist', 'pipelines', name + ending), join(folder, 'pipelines', name + ending)]);
  }
  let copied = 0;
  for (const [from, to] of copies) {
    copyFileSync(from, to);
    copied += statSync(to).size;
  }
  return copied;
}
