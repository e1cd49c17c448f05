#!/usr/bin/env node
/**
 * Builds build/micflow_native.node, the oneDNN addon behind micflow's "native" TensorFlow.js backend
 * (native/micflow_native.cc). Runs from package.json's `install` script (so `npm install` / `npm ci` build it) and
 * as `npm run build:native`.
 *
 * Needs g++ (C++17, OpenMP), oneDNN 2.x headers and library (Debian/Ubuntu: `apt-get install libdnnl-dev`) and
 * Node's own Node-API headers (shipped next to the node binary, or in node-gyp's header cache). When one is missing it
 * prints one line saying what and exits 0: the install never fails, and micflow falls back to the wasm/cpu backends.
 *
 *   node scripts/build-native.mjs [--strict]     --strict: exit 1 instead of skipping (for CI that must have it)
 *
 * Environment: MICFLOW_SKIP_NATIVE=1 skips the build; ONEDNN_ROOT=/prefix looks for include/ and lib/ there;
 * CXX overrides g++.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'micflow_native.cc');
const output = join(root, 'build', 'micflow_native.node');
const strict = process.argv.includes('--strict');

function skip(reason) {
  console.log(`micflow: native oneDNN backend not built (${reason}); micflow will use the wasm/cpu backends.`);
  process.exit(strict ? 1 : 0);
}

if (process.env.MICFLOW_SKIP_NATIVE === '1') skip('MICFLOW_SKIP_NATIVE=1');
if (!existsSync(source)) skip(`${source} is missing`);

const compiler = process.env.CXX || 'g++';
if (spawnSync(compiler, ['--version'], { stdio: 'ignore' }).status !== 0) skip(`no C++ compiler: ${compiler} not found`);

function nodeHeaderDir() {
  const candidates = [join(dirname(process.execPath), '..', 'include', 'node')];
  const gypCache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'node-gyp', process.versions.node, 'include', 'node');
  candidates.push(gypCache);
  return candidates.find((dir) => existsSync(join(dir, 'node_api.h')));
}
const nodeHeaders = nodeHeaderDir();
if (!nodeHeaders) skip('Node-API headers (node_api.h) not found next to the node binary nor in the node-gyp cache');

const onednnRoots = [process.env.ONEDNN_ROOT, '/usr', '/usr/local', '/opt/intel/oneapi/dnnl/latest'].filter(Boolean);
const onednnRoot = onednnRoots.find((r) => existsSync(join(r, 'include', 'oneapi', 'dnnl', 'dnnl.hpp')));
if (!onednnRoot) skip('oneDNN headers not found (Debian/Ubuntu: apt-get install libdnnl-dev)');

const sourceTime = statSync(source).mtimeMs;
if (existsSync(output) && statSync(output).mtimeMs > sourceTime && !process.argv.includes('--force')) {
  console.log(`micflow: native oneDNN backend up to date (${output})`);
  process.exit(0);
}

mkdirSync(dirname(output), { recursive: true });
const libDirs = ['lib', 'lib64', ...(existsSync(join(onednnRoot, 'lib')) ? readdirSync(join(onednnRoot, 'lib')).filter((d) => d.endsWith('-linux-gnu')).map((d) => join('lib', d)) : [])]
  .map((d) => join(onednnRoot, d))
  .filter((d) => existsSync(d));
const args = [
  '-O3',
  // Lets sqrtf compile to the (IEEE-exact) vector instruction: nothing here reads errno.
  '-fno-math-errno',
  '-std=c++17',
  '-shared',
  '-fPIC',
  '-fopenmp',
  '-fvisibility=hidden',
  '-DNODE_GYP_MODULE_NAME=micflow_native',
  '-DNAPI_VERSION=8',
  `-I${nodeHeaders}`,
  `-I${join(onednnRoot, 'include')}`,
  source,
  '-o',
  output,
  ...libDirs.map((d) => `-L${d}`),
  ...(onednnRoot === '/usr' ? [] : libDirs.map((d) => `-Wl,-rpath,${d}`)),
  '-ldnnl',
];
try {
  execFileSync(compiler, args, { stdio: ['ignore', 'inherit', 'pipe'] });
} catch (error) {
  const stderr = String(error.stderr ?? '');
  const first = stderr.split('\n').find((l) => /error/.test(l)) ?? stderr.split('\n')[0] ?? String(error.message);
  skip(`compiling failed: ${first.trim()}`);
}
console.log(`micflow: built native oneDNN backend ${output}`);
