// The annotation studio's page (build/browser/studio.html, served by `npm run studio -- FOLDER`). Plain JavaScript
// (the project type-checks against Node's globals, not the DOM's). The images are decoded here, scribbles are drawn
// here, and fine-tuning runs in a Web Worker of this tab (studio-worker.js); the studio server only hands over the
// folder's files and writes what the page saves (scribbles, accepted masks, fine-tuned checkpoints) into the folder.
import { setItkWasmPaths } from '../../browser/itk-wasm-images.ts';
import { decodeOpenedImage } from '../../browser/opened-files.ts';
import { encodeScribble, scribbleFileOf, studioGridOf, studioPreviewFiles, studioRunFiles } from '../studio-files.ts';
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
  /**
   * path → { bytes, image, columns, rows, slices, window: [low, high], scribble (Uint8Array over every slice,
   * unannotated = classes), prediction (Map slice → Int32Array, from one run) }
   */
  cases: new Map(),
  current: undefined,
  /** The slice on screen (0 for a 2D image). */
  slice: 0,
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
  const { columns, rows, slices } = studioGridOf(image, path);
  const scribble = new Uint8Array(columns * rows * slices).fill(classes());
  if (state.session.scribbled.includes(path)) {
    const file = scribbleFileOf(path);
    const saved = await decodeOpenedImage(file, new Uint8Array(await (await fetchOk(`/api/file?path=${encodeURIComponent(file)}`)).arrayBuffer()));
    scribble.set(saved.data);
  }
  const sorted = Float32Array.from(image.data, Number).sort();
  const window = [sorted[Math.floor(sorted.length * 0.01)], sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]];
  entry = { bytes, image, columns, rows, slices, window, scribble, prediction: new Map() };
  state.cases.set(path, entry);
  return entry;
}

function drawImage(entry) {
  const canvas = $('image');
  canvas.width = entry.columns;
  canvas.height = entry.rows;
  const plane = entry.columns * entry.rows;
  const values = entry.image.data.subarray(state.slice * plane, (state.slice + 1) * plane);
  const [low, high] = entry.window;
  const pixels = new ImageData(entry.columns, entry.rows);
  for (let i = 0; i < values.length; i++) {
    const g = high > low ? Math.max(0, Math.min(255, ((Number(values[i]) - low) / (high - low)) * 255)) : 0;
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
  const plane = entry.columns * entry.rows;
  drawLabels('prediction', entry, show ? entry.prediction.get(state.slice) : undefined, (k) => k === 0, Math.round(($('opacity').value / 100) * 255));
  drawLabels('scribble', entry, entry.scribble.subarray(state.slice * plane, (state.slice + 1) * plane), (k) => k === classes(), 255);
}

/** Shows an image; for a volume, slice `slice` (default the middle one). */
async function open(path, slice) {
  const entry = await caseOf(path);
  state.current = path;
  state.slice = Math.max(0, Math.min(entry.slices - 1, slice ?? Math.floor(entry.slices / 2)));
  $('slice-control').hidden = entry.slices === 1;
  $('slice').max = String(entry.slices - 1);
  $('slice').value = String(state.slice);
  $('slice-index').textContent = `${state.slice + 1}/${entry.slices}`;
  state.zoom = Math.max(1, Math.floor(512 / Math.max(entry.columns, entry.rows)));
  $('zoom-level').textContent = `${state.zoom}×`;
  drawImage(entry);
  redrawOverlays();
  for (const button of $('images').querySelectorAll('button')) button.setAttribute('aria-current', String(button.dataset.path === path));
  return { columns: entry.columns, rows: entry.rows, slices: entry.slices, slice: state.slice };
}

/** Zooms the view by whole factors (1 to 16 screen pixels per image pixel). */
function setZoom(zoom) {
  const entry = state.cases.get(state.current);
  state.zoom = Math.max(1, Math.min(16, Math.round(zoom)));
  $('zoom-level').textContent = `${state.zoom}×`;
  if (entry) drawImage(entry);
}

/** Shows slice `k` of the volume on screen. */
function setSlice(k) {
  const entry = state.cases.get(state.current);
  state.slice = Math.max(0, Math.min(entry.slices - 1, k));
  $('slice').value = String(state.slice);
  $('slice-index').textContent = `${state.slice + 1}/${entry.slices}`;
  drawImage(entry);
  redrawOverlays();
}

/** Paints discs of radius `radius` (image pixels) of class `k` (classes() erases) at [row, column] points of the slice on screen. */
function paint(k, points, radius = Number($('brush').value)) {
  const entry = state.cases.get(state.current);
  if (!entry) throw new Error('open an image first');
  const offset = state.slice * entry.columns * entry.rows;
  for (const [r0, c0] of points) {
    for (let r = Math.max(0, Math.floor(r0 - radius)); r <= Math.min(entry.rows - 1, Math.ceil(r0 + radius)); r++) {
      for (let c = Math.max(0, Math.floor(c0 - radius)); c <= Math.min(entry.columns - 1, Math.ceil(c0 + radius)); c++) {
        if ((r - r0) ** 2 + (c - c0) ** 2 <= radius * radius) entry.scribble[offset + r * entry.columns + c] = k;
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
  return oneWorkerJob(async () => {
    $('log').textContent = '';
    const losses = [];
    const seconds = [];
    const liveTensors = [];
    let previews = 0;
    setStatus('running', 'preparing');
    const annotatedPaths = state.session.scribbled.slice();
    if (!annotatedPaths.length) throw new Error('draw a scribble on at least one image first');
    const entries = await Promise.all(annotatedPaths.map(caseOf));
    const previewed = state.current;
    const shown = state.cases.get(previewed);
    const { files, previewSlices } = studioRunFiles({
      scribbled: entries.map((e, i) => ({ path: annotatedPaths[i], bytes: e.bytes, image: e.image, scribble: e.scribble })),
      preview: { path: previewed, bytes: shown.bytes, image: shown.image, slice: state.slice },
      unannotated: classes(),
    });
    const options = optionsOf(entries, iterations, crop);
    studioScribblePipeline(options); // the options' own checks, before the worker starts
    const initial = await startingWeights();
    const showPrediction = predictionsOf(previewed, previewSlices);
    const done = await runInWorker({ type: 'train', options, files: [...files], backend, initial, previewAllAtEnd: shown.slices > 1 }, {
      started: (data) => log(`backend ${data.backend} (${data.backendReason})`),
      iteration: (data) => {
        losses.push(data.terms.loss);
        seconds.push(data.seconds);
        liveTensors.push(data.liveTensors);
        setStatus('running', `iteration ${data.iteration}/${data.iterations}`);
        log(`iteration ${data.iteration}/${data.iterations}  loss ${data.terms.loss.toFixed(4)}  ${data.seconds.toFixed(2)} s`);
        drawLosses(losses);
      },
      preview: (data) => {
        previews++;
        showPrediction(data);
      },
    });
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
    return { backend: done.backend, losses, seconds, liveTensors, previews, run, leftOut: done.leftOut, options };
  });
}

/**
 * Runs `work` (a training or prediction) as the page's only worker job: refused while another runs; a failure is
 * shown in the status line, its details in the log, and passed on.
 */
async function oneWorkerJob(work) {
  if (state.training) throw new Error('already training');
  state.training = true;
  try {
    return await work();
  } catch (error) {
    setStatus('failed', String(error?.message ?? error));
    for (const detail of error?.details ?? []) log(`  ${detail}`);
    throw error;
  } finally {
    state.training = false;
  }
}

/**
 * The handler of one run's predictions of image `path` (preview row i is slice previewSlices[i]): they replace the
 * last run's once the first arrives (a volume's every slice at the end), and show when the image is on screen.
 */
function predictionsOf(path, previewSlices) {
  const entry = state.cases.get(path);
  const predictions = new Map();
  return (data) => {
    predictions.set(previewSlices[data.index], data.labels);
    entry.prediction = predictions;
    if (state.current === path) redrawOverlays();
  };
}

/**
 * Runs one request in a fresh worker (studio-worker.js), handing its messages to `on.started`, `on.iteration` and
 * `on.preview`; resolves with the last message (`done` or `predicted`), rejects with a `failed` one's message and
 * details. The worker ends with the request.
 */
function runInWorker(request, on) {
  const worker = new Worker(new URL('./studio-worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onerror = (event) => reject(new Error(`the worker failed: ${event.message}`));
    worker.onmessage = ({ data }) => {
      if (data.type === 'done' || data.type === 'predicted') resolve(data);
      else if (data.type === 'failed') reject(Object.assign(new Error(data.message), { details: data.details }));
      else on[data.type]?.(data);
    };
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}

/** The checkpoint the next run starts from (manifest and value file), or undefined for a fresh network. */
async function startingWeights() {
  if (!state.session.start) return undefined;
  const manifest = await (await fetchOk('/api/start/manifest')).json();
  const values = new Uint8Array(await (await fetchOk('/api/start/values')).arrayBuffer());
  return { manifest, values };
}

/** Predicts the image on screen (every slice of a volume) with the current checkpoint, without training. */
async function predict({ backend = $('backend').value || undefined } = {}) {
  return oneWorkerJob(async () => {
    setStatus('running', 'predicting');
    const previewed = state.current;
    const shown = state.cases.get(previewed);
    const { files, previewSlices } = studioPreviewFiles({ path: previewed, bytes: shown.bytes, image: shown.image, slice: state.slice });
    // Predicting crops nothing, but the options need a crop.
    const options = { ...state.session.model, crop: [16, 16] };
    const initial = await startingWeights();
    const done = await runInWorker({ type: 'predict', options, files: [...files], backend, initial }, { preview: predictionsOf(previewed, previewSlices) });
    setStatus('done', `predicted ${done.cases === 1 ? 'the image' : `${done.cases} slices`} on ${done.backend}`);
    return { backend: done.backend, cases: done.cases };
  });
}

/**
 * Writes the prediction, with the scribbled pixels as drawn, as the image's label file (labels/…): for a volume the
 * prediction of every slice, which the last run made when it ended (it trained while the volume was on screen).
 */
async function accept(path = state.current) {
  const entry = state.cases.get(path);
  const plane = entry ? entry.columns * entry.rows : 0;
  if (!entry || entry.prediction.size < entry.slices) {
    throw new Error(`no prediction of ${entry?.slices > 1 ? 'every slice of ' : ''}this image yet: press Predict, or train while it is on screen`);
  }
  const label = new Uint8Array(plane * entry.slices);
  for (let k = 0; k < entry.slices; k++) label.set(entry.prediction.get(k), k * plane);
  for (let i = 0; i < label.length; i++) if (entry.scribble[i] !== classes()) label[i] = entry.scribble[i];
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
    button.title = k < classes() ? `${name} (key ${k})` : 'eraser (key e)';
    button.addEventListener('click', () => selectClass(k));
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
  let last;
  layer.addEventListener('pointerdown', (event) => {
    drawing = true;
    layer.setPointerCapture(event.pointerId);
    remember();
    last = at(event);
    paint(state.classIndex, [last]);
  });
  layer.addEventListener('pointermove', (event) => {
    if (!drawing) return;
    // Points along the segment since the last event, at most half a brush apart, so a fast stroke has no gaps.
    const next = at(event);
    const radius = Number($('brush').value);
    const steps = Math.max(1, Math.ceil(Math.hypot(next[0] - last[0], next[1] - last[1]) / Math.max(0.5, radius / 2)));
    paint(state.classIndex, Array.from({ length: steps }, (_, i) => [last[0] + ((i + 1) / steps) * (next[0] - last[0]), last[1] + ((i + 1) / steps) * (next[1] - last[1])]));
    last = next;
  });
  layer.addEventListener('pointerup', () => {
    if (!drawing) return;
    drawing = false;
    saveScribble().catch((e) => setStatus('failed', e.message));
  });
}

/** Keeps the current image's scribble before a stroke or a clear, for undo (the last 20). */
function remember() {
  const entry = state.cases.get(state.current);
  if (!entry) return;
  entry.undo = [...(entry.undo ?? []).slice(-19), entry.scribble.slice()];
}

/** Takes back the last stroke (or clear) of the current image, and saves the scribble. */
async function undo() {
  const entry = state.cases.get(state.current);
  const previous = entry?.undo?.pop();
  if (!previous) return false;
  entry.scribble.set(previous);
  redrawOverlays();
  await saveScribble();
  return true;
}

/** Keys: 0–9 a class, e the eraser, [ and ] the brush, ↑/↓ the slice, + and − the zoom, Ctrl+Z undo. */
function listenToKeys() {
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
    const report = (e) => setStatus('failed', e.message);
    if ((event.ctrlKey || event.metaKey) && event.key === 'z') undo().catch(report);
    else if (/^[0-9]$/.test(event.key) && Number(event.key) < classes()) selectClass(Number(event.key));
    else if (event.key === 'e') selectClass(classes());
    else if (event.key === '[' || event.key === ']') {
      $('brush').value = String(Number($('brush').value) + (event.key === ']' ? 1 : -1));
      $('brush-size').textContent = $('brush').value;
    } else if (event.key === '+' || event.key === '=' || event.key === '-') {
      setZoom(state.zoom + (event.key === '-' ? -1 : 1));
    } else if ((event.key === 'ArrowUp' || event.key === 'ArrowDown') && state.cases.get(state.current)?.slices > 1) {
      setSlice(state.slice + (event.key === 'ArrowUp' ? 1 : -1));
    } else return;
    event.preventDefault();
  });
}

function selectClass(k) {
  state.classIndex = k;
  renderClasses();
}

async function main() {
  state.session = await (await fetchOk('/api/session')).json();
  $('iterations').value = String(state.session.iterations);
  renderClasses();
  renderStart();
  renderImageList();
  listenToPointer();
  listenToKeys();
  $('undo').addEventListener('click', () => undo().catch((e) => setStatus('failed', e.message)));
  $('brush').addEventListener('input', () => ($('brush-size').textContent = $('brush').value));
  $('slice').addEventListener('input', () => setSlice(Number($('slice').value)));
  $('zoom-in').addEventListener('click', () => setZoom(state.zoom + 1));
  $('zoom-out').addEventListener('click', () => setZoom(state.zoom - 1));
  $('show-prediction').addEventListener('change', redrawOverlays);
  $('opacity').addEventListener('input', redrawOverlays);
  $('train').addEventListener('click', () => train().catch(() => undefined));
  $('predict').addEventListener('click', () => predict().catch(() => undefined));
  $('accept').addEventListener('click', () => accept().catch((e) => setStatus('failed', e.message)));
  $('clear').addEventListener('click', () => {
    const entry = state.cases.get(state.current);
    if (!entry) return;
    remember();
    entry.scribble.fill(classes());
    redrawOverlays();
    saveScribble().catch((e) => setStatus('failed', e.message));
  });
  await open(state.session.images[0]);
  setStatus('idle', 'ready');
}

/** What tests and scripts drive (the same functions the buttons and the pointer use). */
window.studio = { open, setSlice, setZoom, paint, saveScribble, undo, predict, train, accept, state, ready: main() };
