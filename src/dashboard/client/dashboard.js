// The dashboard page: follows each run's event stream (server-sent events, one message per metrics.jsonl line) and
// draws its curves with uPlot (loaded by index.html from this server) and its validation overlays on canvases.
// Plain browser JavaScript, no build step; everything it loads comes from the dashboard server itself.

/* global uPlot */

const token = new URLSearchParams(location.search).get('token');
/** A server address with the page's token, when it has one. */
const withToken = (path) => (token ? `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : path);

const RUN_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
const SERIES_DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3]];

const state = {
  /** @type {Map<string, Run>} */
  runs: new Map(),
  classColours: [],
  logScale: false,
  renderQueued: false,
  /** Chart id → { plot, key, points } */
  charts: new Map(),
};

/**
 * @typedef {object} Run
 * @property {string} id
 * @property {number} index
 * @property {string} status
 * @property {number} lastIndex  last metrics line received
 * @property {EventSource|undefined} source
 * @property {boolean} connected
 */

function newRun(id, index) {
  return {
    id,
    index,
    status: 'waiting',
    pipeline: '',
    iterationsPlanned: 0,
    lastIndex: -1,
    source: undefined,
    connected: false,
    iterations: [],
    validations: [],
    /** node/case → the latest validation-overlay event */
    overlays: new Map(),
    warnings: [],
    best: undefined,
    finishedSeconds: undefined,
    message: '',
  };
}

function clearRun(run) {
  Object.assign(run, { ...newRun(run.id, run.index), source: run.source, connected: run.connected, lastIndex: -1 });
}

// ---- events -----------------------------------------------------------------------------------------------------

function ingest(run, event) {
  switch (event.type) {
    case 'run-started':
      run.pipeline = event.pipeline;
      run.iterationsPlanned = event.iterations;
      run.status = 'running';
      run.backend = event.backend;
      run.seed = event.seed;
      break;
    case 'run-resumed': {
      // Iterations after the checkpoint are trained again: drop what the interrupted run had reported past it.
      run.iterations = run.iterations.filter((e) => e.iteration <= event.iteration);
      run.validations = run.validations.filter((e) => e.iteration <= event.iteration);
      run.iterationsPlanned = event.iterations;
      run.status = 'running';
      break;
    }
    case 'iteration':
      run.iterations.push(event);
      run.iterationsPlanned = event.iterations;
      run.status = 'running';
      break;
    case 'validation':
      run.validations.push(event);
      if (run.best === undefined || event.meanForegroundDice > run.best.meanForegroundDice) run.best = event;
      break;
    case 'validation-overlay':
      run.overlays.set(`${event.node}/${event.case}`, event);
      break;
    case 'warning':
      run.warnings.push(event);
      break;
    case 'early-stopped':
      run.message = event.message;
      break;
    case 'run-interrupted':
      run.status = 'interrupted';
      run.message = `stopped by ${event.reason} after iteration ${event.iteration}`;
      break;
    case 'run-failed':
      run.status = 'failed';
      run.message = event.message;
      break;
    case 'run-finished':
      run.status = 'finished';
      run.finishedSeconds = event.seconds;
      break;
    default:
      break;
  }
}

function connect(run) {
  run.source?.close();
  // `from` matters only when the page reconnects by itself; the browser's own reconnection sends Last-Event-ID.
  const source = new EventSource(withToken(`api/events?run=${encodeURIComponent(run.id)}&from=${run.lastIndex + 1}`));
  run.source = source;
  source.onopen = () => {
    run.connected = true;
    queueRender();
  };
  source.onmessage = (message) => {
    const index = Number(message.lastEventId);
    if (Number.isInteger(index) && index <= run.lastIndex) return;
    run.lastIndex = index;
    ingest(run, JSON.parse(message.data));
    queueRender();
  };
  source.addEventListener('reset', () => {
    clearRun(run);
    queueRender();
  });
  source.onerror = () => {
    run.connected = false;
    queueRender();
    // The browser retries a dropped stream by itself; one it gave up on (readyState CLOSED) is reopened here.
    if (source.readyState === EventSource.CLOSED) setTimeout(() => run.source === source && connect(run), 2000);
  };
}

async function refreshRuns() {
  try {
    const response = await fetch(withToken('api/runs'));
    if (!response.ok) throw new Error(`${response.status}`);
    for (const listed of await response.json()) {
      let run = state.runs.get(listed.id);
      if (!run) {
        run = newRun(listed.id, state.runs.size);
        state.runs.set(listed.id, run);
        connect(run);
      }
      if (run.status === 'waiting' || listed.status === 'stopped') run.listedStatus = listed.status;
      if (!run.pipeline && listed.pipeline) run.pipeline = listed.pipeline;
    }
    queueRender();
  } catch {
    // The server is away (restarting): the event streams say so and reconnect; the list is asked again later.
  }
}

// ---- rendering --------------------------------------------------------------------------------------------------

function queueRender() {
  if (state.renderQueued) return;
  state.renderQueued = true;
  setTimeout(() => {
    state.renderQueued = false;
    render();
  }, 200);
}

function render() {
  renderConnection();
  renderRunCards();
  renderCharts();
  renderOverlays();
}

function renderConnection() {
  const element = document.getElementById('connection');
  const runs = [...state.runs.values()];
  const connected = runs.length > 0 && runs.every((run) => run.connected);
  element.dataset.state = connected ? 'connected' : runs.length ? 'reconnecting' : 'connecting';
  element.textContent = connected ? `live · ${runs.length} run${runs.length === 1 ? '' : 's'}` : runs.length ? 'reconnecting…' : 'connecting…';
}

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('data-')) node.dataset[key.slice(5).replace(/-(\w)/g, (_, c) => c.toUpperCase())] = value;
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  if (h) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  if (m) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A class's overlay colour as CSS (the validation curves of a class share it). */
function classColour(k) {
  const colour = state.classColours[(k - 1) % state.classColours.length];
  return colour ? `rgb(${colour.join(', ')})` : '#888';
}

/** Axis numbers that stay distinct at any scale: 3 significant digits, exponents for the very small or large. */
function axisNumbers(_plot, splits) {
  return splits.map((v) => (v === 0 ? '0' : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(1) : String(Number(v.toPrecision(3)))));
}

/**
 * A run's name on the page: its path without the folders all shown runs share (seed1, seed2 rather than
 * experiments/ssl/seed1, …); the whole path when only one run is shown.
 */
function runName(run) {
  const ids = [...state.runs.keys()];
  if (ids.length < 2) return run.id;
  const parts = ids.map((id) => id.split('/'));
  let shared = 0;
  while (parts.every((p) => p.length > shared + 1 && p[shared] === parts[0][shared])) shared++;
  return run.id.split('/').slice(shared).join('/');
}

function runColour(run) {
  return RUN_COLOURS[run.index % RUN_COLOURS.length];
}

function renderRunCards() {
  const container = document.getElementById('runs');
  for (const run of state.runs.values()) {
    let card = container.querySelector(`[data-run="${CSS.escape(run.id)}"]`);
    if (!card) {
      card = element('article', { className: 'run', 'data-run': run.id });
      card.style.setProperty('--run-colour', runColour(run));
      container.append(card);
    }
    const last = run.iterations[run.iterations.length - 1];
    const recent = run.iterations.slice(-20);
    const perIteration = recent.length ? recent.reduce((a, e) => a + e.seconds, 0) / recent.length : Number.NaN;
    const dataShare = recent.length ? recent.reduce((a, e) => a + e.dataSeconds, 0) / Math.max(1e-9, recent.reduce((a, e) => a + e.seconds, 0)) : Number.NaN;
    const done = last?.iteration ?? 0;
    const status = run.status === 'waiting' && run.listedStatus ? run.listedStatus : run.status;
    const rows = [
      ['iteration', `${done} / ${run.iterationsPlanned || '?'}`],
      ['s / iteration', Number.isFinite(perIteration) ? `${perIteration.toFixed(3)} (data wait ${(100 * dataShare).toFixed(0)} %)` : '–'],
      ['ETA', status === 'running' && Number.isFinite(perIteration) ? formatDuration(perIteration * (run.iterationsPlanned - done)) : status === 'finished' ? `done in ${formatDuration(run.finishedSeconds)}` : '–'],
      ['best validation', run.best ? `${run.best.meanForegroundDice.toFixed(4)} @${run.best.iteration}` : '–'],
      ['live tensors', last ? String(last.liveTensors) : '–'],
      ['RSS', last?.rssBytes ? `${(last.rssBytes / 2 ** 20).toFixed(0)} MiB` : '–'],
    ];
    card.replaceChildren(
      element('h2', { text: runName(run), title: run.id }),
      element('div', {}, [
        element('span', { className: 'status', text: status, 'data-status': status }),
        ` ${run.pipeline}${run.seed === undefined ? '' : ` · seed ${run.seed}`}${run.backend ? ` · ${run.backend}` : ''}`,
      ]),
      element('progress', { max: run.iterationsPlanned || 1, value: done }),
      element('dl', {}, rows.flatMap(([k, v]) => [element('dt', { text: k }), element('dd', { text: v })])),
      ...(run.message ? [element('div', { className: 'warning', text: run.message })] : []),
      ...run.warnings.slice(-2).map((w) => element('div', { className: 'warning', text: `@${w.iteration}: ${w.message}` })),
    );
  }
}

/**
 * The charts: each is a set of named series per run, over iterations. `series(run)` gives [name, [[x, y], …]] pairs.
 */
const CHARTS = [
  {
    id: 'loss',
    title: 'Loss terms (per node)',
    log: () => state.logScale,
    series: (run) => {
      const keys = new Set(run.iterations.flatMap((e) => Object.keys(e.terms)));
      return [...keys].map((key) => [key, run.iterations.filter((e) => key in e.terms).map((e) => [e.iteration, e.terms[key]])]);
    },
  },
  {
    id: 'learning-rate',
    title: 'Learning rate',
    log: () => false,
    series: (run) => {
      const keys = new Set(run.iterations.flatMap((e) => Object.keys(e.learningRates)));
      return [...keys].map((key) => [key, run.iterations.filter((e) => key in e.learningRates).map((e) => [e.iteration, e.learningRates[key]])]);
    },
  },
  {
    id: 'validation',
    title: 'Validation Dice (mean foreground and per class)',
    log: () => false,
    series: (run) => {
      const nodes = [...new Set(run.validations.map((e) => e.node))];
      return nodes.flatMap((node) => {
        const of = run.validations.filter((e) => e.node === node);
        const prefix = nodes.length > 1 ? `${node} ` : '';
        const classNames = of[0]?.classNames ?? [];
        return [
          [`${prefix}mean foreground`, of.map((e) => [e.iteration, e.meanForegroundDice]), '#222'],
          ...classNames.slice(1).map((name, k) => [`${prefix}${name}`, of.map((e) => [e.iteration, e.classDice[k + 1]]), classColour(k + 1)]),
        ];
      });
    },
  },
  {
    id: 'time',
    title: 'Seconds per iteration, and waiting for data',
    log: () => false,
    series: (run) => [
      ['s / iteration', run.iterations.map((e) => [e.iteration, e.seconds])],
      ['data wait (s)', run.iterations.map((e) => [e.iteration, e.dataSeconds])],
    ],
  },
  {
    id: 'memory',
    title: 'Live tensors and resident memory (MiB)',
    log: () => false,
    series: (run) => [
      ['live tensors', run.iterations.map((e) => [e.iteration, e.liveTensors])],
      ['RSS (MiB)', run.iterations.filter((e) => e.rssBytes).map((e) => [e.iteration, e.rssBytes / 2 ** 20])],
    ],
    secondScale: (name) => name.startsWith('RSS'),
    axisLabels: ['live tensors', 'RSS (MiB)'],
  },
];

/** Points every so many iterations at most, so a long run stays quick to draw (the last point is always kept). */
function thin(points, limit = 4000) {
  if (points.length <= limit) return points;
  const step = Math.ceil(points.length / limit);
  return points.filter((_, i) => i % step === 0 || i === points.length - 1);
}

function chartData(chart) {
  const runs = [...state.runs.values()];
  const several = runs.length > 1;
  const lines = runs.flatMap((run) =>
    chart.series(run).map(([name, points, colour], k) => ({
      label: several ? `${runName(run)} · ${name}` : name,
      colour: several ? runColour(run) : (colour ?? RUN_COLOURS[k % RUN_COLOURS.length]),
      dash: several ? SERIES_DASHES[k % SERIES_DASHES.length] : [],
      scale: chart.secondScale?.(name) ? 'y2' : 'y',
      points: thin(points),
    })),
  );
  const xs = [...new Set(lines.flatMap((line) => line.points.map(([x]) => x)))].sort((a, b) => a - b);
  const position = new Map(xs.map((x, i) => [x, i]));
  const columns = lines.map((line) => {
    const column = new Array(xs.length).fill(null);
    for (const [x, y] of line.points) column[position.get(x)] = Number.isFinite(y) && (!chart.log() || y > 0) ? y : null;
    return column;
  });
  return { lines, data: [xs, ...columns], points: lines.reduce((a, line) => a + line.points.length, 0) };
}

function renderCharts() {
  const container = document.getElementById('charts');
  for (const chart of CHARTS) {
    let holder = container.querySelector(`[data-chart="${chart.id}"]`);
    if (!holder) {
      holder = element('div', { className: 'chart', 'data-chart': chart.id });
      container.append(holder);
    }
    const { lines, data, points } = chartData(chart);
    const existing = state.charts.get(chart.id);
    holder.dataset.points = String(points);
    if (!lines.some((line) => line.points.length)) {
      existing?.plot?.destroy();
      state.charts.set(chart.id, { plot: undefined, key: '', points });
      holder.replaceChildren(element('div', { className: 'empty', text: `${chart.title}: nothing yet` }));
      continue;
    }
    const key = JSON.stringify([lines.map((line) => [line.label, line.scale]), chart.log()]);
    if (existing?.plot && existing.key === key) {
      existing.plot.setData(data);
      existing.points = points;
      continue;
    }
    existing?.plot?.destroy();
    holder.replaceChildren();
    const width = Math.max(480, holder.clientWidth - 16);
    const second = lines.some((line) => line.scale === 'y2');
    const plot = new uPlot(
      {
        title: chart.title,
        width,
        height: 280,
        scales: { x: { time: false }, y: chart.log() ? { distr: 3 } : {}, ...(second ? { y2: {} } : {}) },
        axes: [
          { label: 'iteration' },
          { scale: 'y', values: axisNumbers, size: 60, label: chart.axisLabels?.[0] },
          ...(second ? [{ scale: 'y2', side: 1, grid: { show: false }, values: axisNumbers, size: 60, label: chart.axisLabels?.[1] }] : []),
        ],
        series: [{ label: 'iteration' }, ...lines.map((line) => ({ label: line.label, stroke: line.colour, dash: line.dash, scale: line.scale, spanGaps: true, points: { show: false }, width: 1.5 }))],
        legend: { live: true },
      },
      data,
      holder,
    );
    state.charts.set(chart.id, { plot, key, points });
  }
}

// ---- overlays ---------------------------------------------------------------------------------------------------

const overlayCache = new Map();

async function loadOverlay(run, file) {
  const key = `${run.id}|${file}`;
  if (!overlayCache.has(key)) {
    overlayCache.set(
      key,
      fetch(withToken(`api/overlay?run=${encodeURIComponent(run.id)}&file=${encodeURIComponent(file)}`))
        .then((response) => {
          if (!response.ok) throw new Error(`overlay ${file}: ${response.status}`);
          return response.arrayBuffer();
        })
        .then(decodeOverlay)
        .catch((error) => {
          overlayCache.delete(key);
          throw error;
        }),
    );
  }
  return overlayCache.get(key);
}

/** The raw overlay planes (the server sends the gzip file with Content-Encoding: gzip, so it arrives inflated). */
function decodeOverlay(buffer) {
  const bytes = new Uint8Array(buffer);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== 'MFOV') throw new Error('not an overlay');
  const headerLength = new DataView(buffer).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const voxels = header.shape.reduce((a, b) => a * b, 1);
  const start = 8 + headerLength;
  return {
    shape: header.shape,
    classes: header.classes,
    image: bytes.subarray(start, start + voxels),
    label: bytes.subarray(start + voxels, start + 2 * voxels),
    prediction: bytes.subarray(start + 2 * voxels, start + 3 * voxels),
  };
}

/** The slice along the first axis with the most ground-truth foreground (the middle one when there is none). */
function fullestSlice(overlay) {
  if (overlay.shape.length < 3) return 0;
  const [depth, rows, columns] = overlay.shape;
  let best = Math.floor(depth / 2);
  let most = 0;
  for (let z = 0; z < depth; z++) {
    let count = 0;
    for (let i = z * rows * columns; i < (z + 1) * rows * columns; i++) if (overlay.label[i]) count++;
    if (count > most) [most, best] = [count, z];
  }
  return best;
}

const ALPHA = 0.45;

function drawOverlay(canvas, overlay, slice) {
  const [rows, columns] = overlay.shape.slice(-2);
  const offset = overlay.shape.length === 3 ? slice * rows * columns : 0;
  canvas.width = 3 * columns;
  canvas.height = rows;
  const scale = Math.max(1, Math.floor(240 / rows));
  canvas.style.width = `${3 * columns * scale}px`;
  canvas.style.height = `${rows * scale}px`;
  const context = canvas.getContext('2d');
  const picture = context.createImageData(3 * columns, rows);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const i = offset + y * columns + x;
      const grey = overlay.image[i];
      const planes = [0, overlay.label[i], overlay.prediction[i]];
      for (let panel = 0; panel < 3; panel++) {
        const o = 4 * (y * 3 * columns + panel * columns + x);
        const k = planes[panel];
        const colour = k ? state.classColours[(k - 1) % state.classColours.length] : undefined;
        for (let c = 0; c < 3; c++) picture.data[o + c] = colour ? Math.round((1 - ALPHA) * grey + ALPHA * colour[c]) : grey;
        picture.data[o + 3] = 255;
      }
    }
  }
  context.putImageData(picture, 0, 0);
}

function renderOverlays() {
  const container = document.getElementById('overlays');
  for (const run of state.runs.values()) {
    for (const [key, event] of run.overlays) {
      const id = `${run.id}|${key}`;
      let box = container.querySelector(`[data-overlay="${CSS.escape(id)}"]`);
      if (!box) {
        box = element('div', { className: 'overlay', 'data-overlay': id });
        const canvas = element('canvas');
        const slider = element('input', { type: 'range', min: 0, max: 0, value: 0, hidden: true });
        slider.addEventListener('input', () => box.overlay && drawOverlay(canvas, box.overlay, Number(slider.value)));
        box.append(
          element('h3'),
          canvas,
          element('div', { className: 'panels' }, [element('span', { text: 'image' }), element('span', { text: 'ground truth' }), element('span', { text: 'prediction' })]),
          slider,
          element('div', { className: 'slice' }),
          element('div', { className: 'legend' }),
        );
        container.append(box);
      }
      if (box.dataset.file === event.file) continue;
      box.dataset.file = event.file;
      loadOverlay(run, event.file)
        .then((overlay) => {
          if (box.dataset.file !== event.file) return;
          const [title, canvas, , slider, sliceLabel, legend] = box.children;
          title.textContent = `${state.runs.size > 1 ? `${runName(run)} · ` : ''}${event.node} · ${event.case} · iteration ${event.iteration}`;
          const depth = overlay.shape.length === 3 ? overlay.shape[0] : 1;
          const keep = box.overlay && box.overlay.shape.join() === overlay.shape.join() && box.dataset.sliceMoved;
          slider.hidden = depth === 1;
          slider.max = String(depth - 1);
          if (!keep) slider.value = String(fullestSlice(overlay));
          slider.oninput = () => {
            box.dataset.sliceMoved = '1';
            sliceLabel.textContent = `slice ${slider.value} of ${depth}`;
          };
          sliceLabel.textContent = depth > 1 ? `slice ${slider.value} of ${depth}` : '';
          box.overlay = overlay;
          drawOverlay(canvas, overlay, Number(slider.value));
          box.dataset.iteration = String(event.iteration);
          legend.replaceChildren(
            ...event.classNames.slice(1).map((name, k) => {
              const swatch = element('i');
              const [r, g, b] = state.classColours[k % state.classColours.length];
              swatch.style.background = `rgb(${r}, ${g}, ${b})`;
              return element('span', {}, [swatch, name]);
            }),
          );
        })
        .catch(() => {
          delete box.dataset.file; // tried again at the next render
        });
    }
  }
}

// ---- start ------------------------------------------------------------------------------------------------------

document.getElementById('log-scale').addEventListener('change', (event) => {
  state.logScale = event.target.checked;
  queueRender();
});

/** For tests and the curious: what the page holds, in numbers. */
window.micflowDashboard = {
  snapshot: () => ({
    runs: [...state.runs.values()].map((run) => ({
      id: run.id,
      status: run.status,
      connected: run.connected,
      iterations: run.iterations.length,
      lastIteration: run.iterations[run.iterations.length - 1]?.iteration ?? 0,
      validations: run.validations.length,
      overlays: run.overlays.size,
    })),
    charts: Object.fromEntries([...state.charts].map(([id, chart]) => [id, chart.points])),
    overlaysDrawn: [...document.querySelectorAll('.overlay[data-iteration]')].length,
  }),
};

(async () => {
  try {
    const config = await (await fetch(withToken('api/config'))).json();
    state.classColours = config.classColours;
  } catch {
    state.classColours = [[230, 25, 75], [60, 180, 75], [0, 130, 200]];
  }
  await refreshRuns();
  setInterval(refreshRuns, 5000);
  render();
})();
