// The annotation studio's page (build/browser/studio.html, served by `npm run studio -- FOLDER`). Plain JavaScript
// (the project type-checks against Node's globals, not the DOM's). The images are decoded here, scribbles are drawn
// here, and fine-tuning runs in a Web Worker of this tab (studio-worker.js); the studio server only hands over the
// folder's files and writes what the page saves (scribbles, accepted masks, fine-tuned checkpoints) into the folder.
import { setItkWasmPaths } from '../../browser/itk-wasm-images.ts';
import { decodeOpenedImage } from '../../browser/opened-files.ts';
import { encodeScribble, scribbleFileOf, studioImageSize, studioRunFiles } from '../studio-files.ts';
import { studioScribblePipeline } from '../studio-pipeline.ts';

/** Class colours (0 = background, drawn only as a scribble). */
const COLOURS = [[60, 60, 60], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60]];
const colourOf = (k) => COLOURS[k % COLOURS.length];
const WRITE = { 'x-micflow-studio': '1' };
const $ = (id) => document.getElementById(id);
// itk-wasm's worker and pipelines are served beside this file (decodeOpenedImage reads DICOM, MetaImage, NRRD with them).
setItkWasmPaths(new URL('./', import.meta.url).href);

const state = {
  session: undefined,
  /** path → { bytes, image, columns, rows, scribble (Uint8Array, unannotated = classes), prediction (Int32Array | undefined) } */
  cases: new Map(),
  current: undefined,
  classIndex: 1,
  zoom: 1,
  training: false,
};
const classes = () => state.session.model.classNames.length;

async function fetchOk(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) {
    let message = `${url}: HTTP ${response.status}`;
    try {
      const body = await response.json();
      message = [body.error, ...(body.details ?? [])].join('\n  ');
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(message);
  }
  return response;
}

const log = (line) => {
  $('log').textContent += `${line}\n`;
  $('log').scrollTop = $('log').scrollHeight;
};
function setStatus(stateName, text) {
  $('status').dataset.state = stateName;
  $('status').textContent = text;
}

/** Loads (once) an image, and its saved scribble when there is one. */
async function caseOf(path) {
  let entry = state.cases.get(path);
  if (entry) return entry;
  const bytes = new Uint8Array(await (await fetchOk(`/api/file?path=${encodeURIComponent(path)}`)).arrayBuffer());
  const image = await decodeOpenedImage(path, bytes);
  const [columns, rows] = studioImageSize(image, path);
  const scribble = new Uint8Array(columns * rows).fill(classes());
  if (state.session.scribbled.includes(path)) {
    const file = scribbleFileOf(path);
    const saved = await decodeOpenedImage(file, new Uint8Array(await (await fetchOk(`/api/file?path=${encodeURIComponent(file)}`)).arrayBuffer()));
    scribble.set(saved.data);
  }
  entry = { bytes, image, columns, rows, scribble, prediction: undefined };
  state.cases.set(path, entry);
  return entry;
}

function drawImage(entry) {
  const canvas = $('image');
  canvas.width = entry.columns;
  canvas.height = entry.rows;
  const values = Float32Array.from(entry.image.data, Number);
  const sorted = Float32Array.from(values).sort();
  const low = sorted[Math.floor(sorted.length * 0.01)];
  const high = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
  const pixels = new ImageData(entry.columns, entry.rows);
  for (let i = 0; i < values.length; i++) {
    const g = high > low ? Math.max(0, Math.min(255, ((values[i] - low) / (high - low)) * 255)) : 0;
    pixels.data.set([g, g, g, 255], 4 * i);
  }
  canvas.getContext('2d').putImageData(pixels, 0, 0);
  for (const layer of ['image', 'prediction', 'scribble']) {
    $(layer).style.width = `${entry.columns * state.zoom}px`;
    $(layer).style.height = `${entry.rows * state.zoom}px`;
  }
}

function drawLabels(canvasId, entry, labels, skip, alpha) {
  const canvas = $(canvasId);
  canvas.width = entry.columns;
  canvas.height = entry.rows;
  const pixels = new ImageData(entry.columns, entry.rows);
  if (labels) {
    for (let i = 0; i < labels.length; i++) {
      if (skip(labels[i])) continue;
      pixels.data.set([...colourOf(labels[i]), alpha], 4 * i);
    }
  }
  canvas.getContext('2d').putImageData(pixels, 0, 0);
}

function redrawOverlays() {
  const entry = state.cases.get(state.current);
  if (!entry) return;
  const show = $('show-prediction').checked;
  drawLabels('prediction', entry, show ? entry.prediction : undefined, (k) => k === 0, Math.round(($('opacity').value / 100) * 255));
  drawLabels('scribble', entry, entry.scribble, (k) => k === classes(), 255);
}

async function open(path) {
  const entry = await caseOf(path);
  state.current = path;
  state.zoom = Math.max(1, Math.floor(512 / Math.max(entry.columns, entry.rows)));
  drawImage(entry);
  redrawOverlays();
  for (const button of $('images').querySelectorAll('button')) button.setAttribute('aria-current', String(button.dataset.path === path));
  return { columns: entry.columns, rows: entry.rows };
}

/** Paints discs of radius `radius` (image pixels) of class `k` (classes() erases) at [row, column] points. */
function paint(k, points, radius = Number($('brush').value)) {
  const entry = state.cases.get(state.current);
  if (!entry) throw new Error('open an image first');
  for (const [r0, c0] of points) {
    for (let r = Math.max(0, Math.floor(r0 - radius)); r <= Math.min(entry.rows - 1, Math.ceil(r0 + radius)); r++) {
      for (let c = Math.max(0, Math.floor(c0 - radius)); c <= Math.min(entry.columns - 1, Math.ceil(c0 + radius)); c++) {
        if ((r - r0) ** 2 + (c - c0) ** 2 <= radius * radius) entry.scribble[r * entry.columns + c] = k;
      }
    }
  }
  redrawOverlays();
}

/** Saves the current image's scribble into the folder (studio/scribble/…, and the list). */
async function saveScribble(path = state.current) {
  const entry = state.cases.get(path);
  const annotated = entry.scribble.some((v) => v !== classes());
  if (!annotated) {
    await fetchOk(`/api/scribble?image=${encodeURIComponent(path)}`, { method: 'DELETE', headers: WRITE });
    state.session.scribbled = state.session.scribbled.filter((p) => p !== path);
  } else {
    await fetchOk(`/api/scribble?image=${encodeURIComponent(path)}`, { method: 'PUT', headers: WRITE, body: encodeScribble(entry.image, path, entry.scribble) });
    if (!state.session.scribbled.includes(path)) state.session.scribbled.push(path);
  }
  renderImageList();
}

/** The pipeline options of a run: the session's model, the page's iterations, a crop that fits every annotated image. */
function optionsOf(annotated, iterations, crop) {
  const rows = Math.min(...annotated.map((e) => e.rows));
  const columns = Math.min(...annotated.map((e) => e.columns));
  const fit = (n) => Math.min(96, Math.floor(n / 16) * 16);
  if (fit(rows) < 16 || fit(columns) < 16) throw new Error('an annotated image is smaller than 16 pixels along an axis; the U-Net needs at least 16');
  return { ...state.session.model, iterations, crop: crop ?? [fit(rows), fit(columns)] };
}

/**
 * Fine-tunes in a worker on every scribbled image; resolves when the checkpoint is written into the folder. `crop`
 * ([rows, columns]) overrides the training crop (default: the largest multiple of 16 up to 96 that fits every
 * annotated image).
 */
async function train({ iterations = Number($('iterations').value), backend = $('backend').value || undefined, crop } = {}) {
  if (state.training) throw new Error('already training');
  state.training = true;
  $('log').textContent = '';
  const losses = [];
  const seconds = [];
  let previews = 0;
  try {
    setStatus('running', 'preparing');
    const annotatedPaths = state.session.scribbled.slice();
    if (!annotatedPaths.length) throw new Error('draw a scribble on at least one image first');
    const entries = await Promise.all(annotatedPaths.map(caseOf));
    const imageBytes = new Map(annotatedPaths.map((p, i) => [p, entries[i].bytes]));
    imageBytes.set(state.current, state.cases.get(state.current).bytes);
    const scribbles = new Map(annotatedPaths.map((p, i) => [p, encodeScribble(entries[i].image, p, entries[i].scribble)]));
    const files = studioRunFiles({ images: imageBytes, scribbles, preview: state.current });
    const options = optionsOf(entries, iterations, crop);
    studioScribblePipeline(options); // the options' own checks, before the worker starts
    let initial;
    if (state.session.start) {
      const manifest = await (await fetchOk('/api/start/manifest')).json();
      const values = new Uint8Array(await (await fetchOk('/api/start/values')).arrayBuffer());
      initial = { manifest, values };
    }
    const previewed = state.current;
    const worker = new Worker(new URL('./studio-worker.js', import.meta.url), { type: 'module' });
    const done = await new Promise((resolve, reject) => {
      worker.onerror = (event) => reject(new Error(`the worker failed: ${event.message}`));
      worker.onmessage = ({ data }) => {
        if (data.type === 'started') log(`backend ${data.backend} (${data.backendReason})`);
        if (data.type === 'iteration') {
          losses.push(data.terms.loss);
          seconds.push(data.seconds);
          setStatus('running', `iteration ${data.iteration}/${data.iterations}`);
          log(`iteration ${data.iteration}/${data.iterations}  loss ${data.terms.loss.toFixed(4)}  ${data.seconds.toFixed(2)} s`);
          drawLosses(losses);
        }
        if (data.type === 'preview') {
          previews++;
          const entry = state.cases.get(previewed);
          entry.prediction = data.labels;
          if (state.current === previewed) redrawOverlays();
        }
        if (data.type === 'done') resolve(data);
        if (data.type === 'failed') reject(Object.assign(new Error(data.message), { details: data.details }));
      };
      worker.postMessage({ type: 'train', options, files: [...files], backend, initial });
    }).finally(() => worker.terminate());
    setStatus('running', 'saving the checkpoint');
    const header = new TextEncoder().encode(JSON.stringify({ options, backend: done.backend, backendReason: done.backendReason, manifest: done.manifest }));
    const body = new Uint8Array(4 + header.length + done.values.length);
    new DataView(body.buffer).setUint32(0, header.length, true);
    body.set(header, 4);
    body.set(done.values, 4 + header.length);
    const { run } = await (await fetchOk('/api/runs', { method: 'POST', headers: WRITE, body })).json();
    state.session.start = { path: `${run}/checkpoints/studio.json`, iteration: done.manifest.iteration };
    renderStart();
    log(`saved ${run} (npm run infer -- ${run} …)`);
    setStatus('done', `done: ${run}`);
    return { backend: done.backend, losses, seconds, previews, run, leftOut: done.leftOut, options };
  } catch (error) {
    setStatus('failed', String(error?.message ?? error));
    for (const detail of error?.details ?? []) log(`  ${detail}`);
    throw error;
  } finally {
    state.training = false;
  }
}

/** Writes the current prediction, with the scribbled pixels as drawn, as the image's label file (labels/…). */
async function accept(path = state.current) {
  const entry = state.cases.get(path);
  if (!entry?.prediction) throw new Error('no prediction of this image yet: train first (the overlay shows the image being annotated)');
  const label = new Uint8Array(entry.prediction.length);
  for (let i = 0; i < label.length; i++) label[i] = entry.scribble[i] !== classes() ? entry.scribble[i] : entry.prediction[i];
  const { written } = await (await fetchOk(`/api/label?image=${encodeURIComponent(path)}`, { method: 'PUT', headers: WRITE, body: label })).json();
  if (!state.session.accepted.includes(path)) state.session.accepted.push(path);
  renderImageList();
  log(`accepted: ${written}`);
  return { written, label };
}

function drawLosses(losses) {
  const canvas = $('losses');
  const context = canvas.getContext('2d');
  context.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length < 2) return;
  const high = Math.max(...losses);
  const low = Math.min(...losses);
  context.beginPath();
  losses.forEach((l, i) => {
    const x = (i / (losses.length - 1)) * (canvas.width - 4) + 2;
    const y = canvas.height - 4 - ((l - low) / (high - low || 1)) * (canvas.height - 8);
    if (i === 0) context.moveTo(x, y);
    else context.lineTo(x, y);
  });
  context.stroke();
}

function renderImageList() {
  const list = $('images');
  list.textContent = '';
  for (const path of state.session.images) {
    const button = document.createElement('button');
    button.dataset.path = path;
    button.textContent = path;
    const mark = document.createElement('span');
    mark.className = 'mark';
    mark.textContent = `${state.session.scribbled.includes(path) ? '✎' : ''}${state.session.accepted.includes(path) ? '✓' : ''}`;
    button.append(mark);
    button.setAttribute('aria-current', String(path === state.current));
    button.addEventListener('click', () => open(path).catch((e) => setStatus('failed', e.message)));
    list.append(button);
  }
}

function renderClasses() {
  const bar = $('classes');
  bar.textContent = '';
  const names = [...state.session.model.classNames, 'eraser'];
  names.forEach((name, k) => {
    const button = document.createElement('button');
    button.textContent = name;
    button.dataset.class = String(k);
    if (k < classes()) button.style.background = `rgb(${colourOf(k).join(',')})`;
    button.setAttribute('aria-pressed', String(k === state.classIndex));
    button.addEventListener('click', () => {
      state.classIndex = k;
      renderClasses();
    });
    bar.append(button);
  });
}

function renderStart() {
  const start = state.session.start;
  $('start').textContent = start ? `from ${start.path} (iteration ${start.iteration})` : 'from a fresh network';
}

function listenToPointer() {
  const layer = $('scribble');
  let drawing = false;
  const at = (event) => {
    const box = layer.getBoundingClientRect();
    return [(event.clientY - box.top) / state.zoom, (event.clientX - box.left) / state.zoom];
  };
  layer.addEventListener('pointerdown', (event) => {
    drawing = true;
    layer.setPointerCapture(event.pointerId);
    paint(state.classIndex, [at(event)]);
  });
  layer.addEventListener('pointermove', (event) => {
    if (drawing) paint(state.classIndex, [at(event)]);
  });
  layer.addEventListener('pointerup', () => {
    if (!drawing) return;
    drawing = false;
    saveScribble().catch((e) => setStatus('failed', e.message));
  });
}

async function main() {
  state.session = await (await fetchOk('/api/session')).json();
  $('iterations').value = String(state.session.iterations);
  renderClasses();
  renderStart();
  renderImageList();
  listenToPointer();
  $('brush').addEventListener('input', () => ($('brush-size').textContent = $('brush').value));
  $('show-prediction').addEventListener('change', redrawOverlays);
  $('opacity').addEventListener('input', redrawOverlays);
  $('train').addEventListener('click', () => train().catch(() => undefined));
  $('accept').addEventListener('click', () => accept().catch((e) => setStatus('failed', e.message)));
  $('clear').addEventListener('click', () => {
    const entry = state.cases.get(state.current);
    if (!entry) return;
    entry.scribble.fill(classes());
    redrawOverlays();
    saveScribble().catch((e) => setStatus('failed', e.message));
  });
  await open(state.session.images[0]);
  setStatus('idle', 'ready');
}

/** What tests and scripts drive (the same functions the buttons and the pointer use). */
window.studio = { open, paint, saveScribble, train, accept, state, ready: main() };
