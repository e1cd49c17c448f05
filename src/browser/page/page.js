// The page of build/browser/index.html. Plain JavaScript (the project type-checks against Node's globals, not the
// DOM's); the engine it drives is src/browser/index.ts.
import { decodeOpenedImage, openedFilesOf, runPipelineInBrowser, setBrowserWasmPaths, setItkWasmPaths } from '../index.ts';

// The tfjs wasm backend's binaries and itk-wasm's worker and pipelines are served beside this file: nothing from a CDN.
setBrowserWasmPaths(new URL('./', import.meta.url).href);
setItkWasmPaths(new URL('./', import.meta.url).href);

/** A pipeline module of build/browser/pipelines/, as `npm run pipeline -- NAME` loads pipelines/NAME.ts in Node. */
async function loadPipeline(name) {
  const module = await import(new URL(`./pipelines/${name}.js`, import.meta.url).href);
  return module.default;
}

/** Opened files fetched from a URL prefix (for tests and demos on served data; the page itself uses the folder picker). */
async function openedFilesFromUrls(base, paths) {
  const files = new Map();
  for (const path of paths) {
    const response = await fetch(new URL(path, base));
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    files.set(path, new Uint8Array(await response.arrayBuffer()));
  }
  return files;
}

/** Runs pipeline `name` on `files` (see runPipelineInBrowser); the result's events are plain data. */
async function run(name, options) {
  return runPipelineInBrowser({ ...options, definition: await loadPipeline(name) });
}

window.micflow = { decodeOpenedImage, loadPipeline, openedFilesFromUrls, openedFilesOf, run, runPipelineInBrowser };

const $ = (id) => document.getElementById(id);
const log = (line) => {
  $('log').textContent += `${line}\n`;
};

async function main() {
  const names = await (await fetch(new URL('./pipelines.json', import.meta.url))).json();
  for (const name of names) $('pipeline').add(new Option(name, name, name === 'supervised', name === 'supervised'));
  $('run').addEventListener('click', async () => {
    $('status').dataset.state = 'running';
    $('log').textContent = '';
    try {
      const files = await openedFilesOf($('folder').files ?? []);
      log(`${files.size} files opened`);
      const set = $('set').value.split('\n').map((l) => l.trim()).filter(Boolean);
      const result = await run($('pipeline').value, {
        files,
        set,
        backend: $('backend').value || undefined,
        trainingOnly: $('training-only').checked,
        onEvent: (event) => {
          if (event.type === 'iteration') log(`iteration ${event.iteration}/${event.iterations}  ${Object.entries(event.terms).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}  ${event.seconds.toFixed(2)} s`);
        },
      });
      log(`${result.backendReason}; left out: ${result.leftOut.join(', ') || 'nothing'}`);
      $('status').dataset.state = 'done';
    } catch (error) {
      log(String(error?.message ?? error));
      for (const detail of error?.details ?? []) log(`  ${detail}`);
      $('status').dataset.state = 'failed';
    }
  });
}

main();
