import { isDefined, meanOfDefined, stdOfDefined, type MethodRunResult } from './method-run-result.js';

/** What the plot reads of a run: results.json's rows qualify, and so do hand-made ones in a test. */
export type PlottedRun = Pick<MethodRunResult, 'method' | 'seed' | 'meanDice' | 'dice'> & Partial<Pick<MethodRunResult, 'postprocess' | 'postprocessed'>>;

export interface ComparisonPlotOptions {
  /** Class names by label (index 0 = background); `dice[k]` of a run is class `k + 1`. */
  classNames: readonly string[];
  /** The title (wrapped to the plot's width): what was trained on what, as in results.md. */
  caption: string;
  /** Small panels per foreground class under the mean panel. Default: when there are two or more foreground classes and some run has a per-class Dice. */
  perClass?: boolean;
}

/**
 * The comparison as a self-contained SVG strip plot (no scripts, fonts or links: text, lines, circles and rects in one
 * `<svg>`). One column per method, in the order methods first appear in `results` (the order of results.md's rows).
 * Each run's mean foreground Dice is a dot, its seed's colour and left-right offset fixed by the seed's rank among all
 * seeds (the same seed sits at the same place in every column, so paired runs read across); the method's mean over
 * seeds is a horizontal bar and ± std (population, as in results.md) a vertical whisker, clipped at the axis ends. A
 * dashed line across the panel marks the first method's mean (the baseline). The y axis is Dice over a range fitted to
 * the dots and whiskers, padded, rounded out to ticks and clamped to [0, 1]. With per-class panels, each foreground
 * class gets a smaller panel of the same layout and its own fitted axis, columns aligned with the mean panel. When some
 * run was also scored after post-processing (`postprocessed`, the table's +LCC columns), a second panel of the same
 * size under the mean panel plots those mean foreground Dice, headed with the post-processing's name.
 *
 * Values that are not finite numbers (NaN, or null as JSON writes NaN) are left out of the dots and of the mean and std;
 * a method with none left shows "no result" in its column. Same input, same string: nothing random, no clock.
 */
export function comparisonPlotSvg(results: readonly PlottedRun[], options: ComparisonPlotOptions): string {
  const foreground = options.classNames.slice(1);
  const methods = [...new Set(results.map((r) => r.method))];
  const seeds = [...new Set(results.map((r) => r.seed))].sort((a, b) => a - b);
  const perClass = options.perClass ?? (foreground.length > 1 && results.some((r) => Array.isArray(r.dice) && r.dice.some(isPlottable)));

  const columnWidth = Math.max(MIN_COLUMN_WIDTH, MIN_PLOT_WIDTH / Math.max(methods.length, 1));
  const plotWidth = columnWidth * Math.max(methods.length, 1);
  const labels = methodLabelLayout(methods, columnWidth);
  const left = Math.max(LEFT_MARGIN, labels.overhangLeft + 8);
  const width = left + plotWidth + RIGHT_MARGIN;

  const out: string[] = [];
  let y = 12;
  const titleLines = wrapText(options.caption, Math.floor((width - 24) / (TITLE_FONT * BOLD_CHAR_WIDTH)));
  for (const line of titleLines) {
    y += TITLE_FONT + 4;
    out.push(`<text class="title" x="${num(width / 2)}" y="${num(y)}" text-anchor="middle" font-size="${TITLE_FONT}" font-weight="bold">${escapeXml(line)}</text>`);
  }
  y += 10;
  const legend = legendRows(seeds, methods[0], width - 24);
  for (const row of legend.rows) {
    y += LEGEND_ROW;
    out.push(...row.map((item) => item.draw(12 + item.x, y - 4)));
  }
  y += 6;

  const column = (i: number) => left + columnWidth * (i + 0.5);
  const seedOffset = jitter(seeds.length, columnWidth);
  const panels: { key: string; heading: string; height: number; value: (r: PlottedRun) => unknown }[] = [
    { key: 'mean', heading: 'mean foreground Dice (one dot per seed)', height: MAIN_PANEL_HEIGHT, value: (r) => r.meanDice },
  ];
  const postprocessed = results.find((r) => isPlottable(r.postprocessed?.meanDice));
  if (postprocessed) {
    const heading = `mean foreground Dice after ${postprocessed.postprocess ?? 'post-processing'} (one dot per seed)`;
    panels.push({ key: 'postprocessed-mean', heading, height: MAIN_PANEL_HEIGHT, value: (r) => r.postprocessed?.meanDice });
  }
  if (perClass) {
    foreground.forEach((name, k) => panels.push({ key: `class-${k + 1}`, heading: `${name} Dice`, height: CLASS_PANEL_HEIGHT, value: (r) => r.dice?.[k] }));
  }
  panels.forEach((panel, p) => {
    y += PANEL_HEADING;
    const top = y;
    const bottom = top + panel.height;
    const byMethod = methods.map((method) => {
      const dots = results.filter((r) => r.method === method).map((r) => ({ seed: r.seed, value: panel.value(r) })).filter((d): d is { seed: number; value: number } => isPlottable(d.value));
      const values = dots.map((d) => d.value);
      return { method, dots, mean: meanOfDefined(values), std: stdOfDefined(values) };
    });
    const axis = fittedAxis(byMethod.flatMap((m) => [...m.dots.map((d) => d.value), ...(m.dots.length > 0 ? [m.mean - m.std, m.mean + m.std] : [])]), panel.height >= MAIN_PANEL_HEIGHT ? 8 : 5);
    const toY = (v: number) => top + ((axis.max - v) / (axis.max - axis.min)) * panel.height;
    const clip = (v: number) => Math.min(axis.max, Math.max(axis.min, v));

    out.push(`<g class="panel" data-panel="${panel.key}">`);
    out.push(`<text class="panel-heading" x="${num(left)}" y="${num(top - 8)}" font-size="${HEADING_FONT}" font-weight="bold">${escapeXml(panel.heading)}</text>`);
    methods.forEach((_, i) => {
      if (i % 2 === 1) out.push(`<rect class="band" x="${num(left + columnWidth * i)}" y="${num(top)}" width="${num(columnWidth)}" height="${num(panel.height)}" fill="#f3f4f6"/>`);
    });
    for (const tick of axis.ticks) {
      const ty = toY(tick.value);
      out.push(`<line class="grid" x1="${num(left)}" y1="${num(ty)}" x2="${num(left + plotWidth)}" y2="${num(ty)}" stroke="#dcdfe4" stroke-width="1"/>`);
      out.push(`<line class="tick" x1="${num(left - 4)}" y1="${num(ty)}" x2="${num(left)}" y2="${num(ty)}" stroke="#333" stroke-width="1"/>`);
      out.push(`<text class="tick-label" x="${num(left - 7)}" y="${num(ty)}" dy="0.35em" text-anchor="end" font-size="${TICK_FONT}">${tick.label}</text>`);
    }
    out.push(`<line class="axis" x1="${num(left)}" y1="${num(top)}" x2="${num(left)}" y2="${num(bottom)}" stroke="#333" stroke-width="1"/>`);
    out.push(`<line class="axis" x1="${num(left)}" y1="${num(bottom)}" x2="${num(left + plotWidth)}" y2="${num(bottom)}" stroke="#333" stroke-width="1"/>`);
    const baseline = byMethod[0];
    if (baseline && baseline.dots.length > 0) {
      const by = toY(baseline.mean);
      out.push(`<line class="baseline" data-method="${escapeXml(baseline.method)}" x1="${num(left)}" y1="${num(by)}" x2="${num(left + plotWidth)}" y2="${num(by)}" stroke="#6b7280" stroke-width="1" stroke-dasharray="5 4"/>`);
    }
    byMethod.forEach(({ method, dots, mean, std }, i) => {
      const cx = column(i);
      const m = escapeXml(method);
      if (dots.length === 0) {
        out.push(`<text class="no-result" data-method="${m}" x="${num(cx)}" y="${num((top + bottom) / 2)}" dy="0.35em" text-anchor="middle" font-size="${TICK_FONT}" fill="#6b7280">no result</text>`);
        return;
      }
      const [hi, lo] = [toY(clip(mean + std)), toY(clip(mean - std))];
      out.push(`<line class="std" data-method="${m}" x1="${num(cx)}" y1="${num(hi)}" x2="${num(cx)}" y2="${num(lo)}" stroke="#111" stroke-width="1.5"/>`);
      for (const capY of [hi, lo]) out.push(`<line class="std-cap" x1="${num(cx - 4)}" y1="${num(capY)}" x2="${num(cx + 4)}" y2="${num(capY)}" stroke="#111" stroke-width="1.5"/>`);
      const half = meanBarHalfWidth(columnWidth);
      out.push(`<line class="mean" data-method="${m}" x1="${num(cx - half)}" y1="${num(toY(mean))}" x2="${num(cx + half)}" y2="${num(toY(mean))}" stroke="#111" stroke-width="3"><title>${m}: mean ${mean.toFixed(3)} ± ${std.toFixed(3)}</title></line>`);
      for (const dot of dots) {
        const s = seeds.indexOf(dot.seed);
        out.push(
          `<circle class="seed" data-method="${m}" data-seed="${dot.seed}" cx="${num(cx + seedOffset(s))}" cy="${num(toY(dot.value))}" r="${DOT_RADIUS}" fill="${seedColour(s)}" fill-opacity="0.9" stroke="#fff" stroke-width="0.8"><title>${m}, seed ${dot.seed}: ${dot.value.toFixed(3)}</title></circle>`,
        );
      }
    });
    out.push('</g>');
    y = bottom;
    if (p === 0 || p === panels.length - 1) {
      out.push(...labels.draw(column, y, p === 0 ? 'mean' : 'last'));
      y += labels.height;
    }
    y += PANEL_GAP;
  });

  const height = Math.ceil(y);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${height}" viewBox="0 0 ${num(width)} ${height}" font-family="sans-serif">`,
    `<title>${escapeXml(options.caption)}</title>`,
    `<rect class="background" x="0" y="0" width="${num(width)}" height="${height}" fill="#fff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

/** The plot's path beside a table's: `results.md` → `results.svg`; a name without `.md` gets `.svg` appended. */
export function plotPathFor(markdownPath: string): string {
  return /\.md$/i.test(markdownPath) ? markdownPath.replace(/\.md$/i, '.svg') : `${markdownPath}.svg`;
}

/** Text safe inside an element or a double- or single-quoted attribute. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const MIN_PLOT_WIDTH = 440;
const MIN_COLUMN_WIDTH = 56;
const LEFT_MARGIN = 56;
const RIGHT_MARGIN = 20;
const MAIN_PANEL_HEIGHT = 260;
const CLASS_PANEL_HEIGHT = 110;
const PANEL_HEADING = 22;
const PANEL_GAP = 14;
const LEGEND_ROW = 18;
const TITLE_FONT = 14;
const HEADING_FONT = 12;
const TICK_FONT = 11;
const LABEL_FONT = 12;
const DOT_RADIUS = 4;
/** Average glyph width of a sans-serif font as a fraction of its size (regular, bold): enough to lay text out without measuring it. */
const CHAR_WIDTH = 0.53;
const BOLD_CHAR_WIDTH = 0.6;
const LABEL_ANGLE = 40;
/** Okabe–Ito colours (distinguishable with colour-blindness), yellow left out for white paper; seeds past eight repeat. */
const SEED_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#999999'];

function seedColour(rank: number): string {
  return SEED_COLOURS[rank % SEED_COLOURS.length];
}

function isPlottable(value: unknown): value is number {
  return typeof value === 'number' && isDefined(value) && Number.isFinite(value);
}

/** A coordinate with 4 decimals (enough to read a Dice back to 1e-6 from any panel), no exponent, no "-0". */
function num(value: number): string {
  const rounded = Math.round(value * 1e4) / 1e4;
  return String(rounded === 0 ? 0 : rounded);
}

function meanBarHalfWidth(columnWidth: number): number {
  return Math.min(22, columnWidth * 0.32);
}

/** Left-right offset of the seed with rank `s` of `count`: evenly spread over the mean bar, centred on the column. */
function jitter(count: number, columnWidth: number): (s: number) => number {
  if (count <= 1) return () => 0;
  const step = Math.min(9, (2 * meanBarHalfWidth(columnWidth) * 0.85) / (count - 1));
  return (s) => (s - (count - 1) / 2) * step;
}

interface Axis {
  min: number;
  max: number;
  ticks: { value: number; label: string }[];
}

/**
 * The y range over `values`: padded by 8% of their spread (at least 0.02), rounded out to a 1-2-5 tick step giving at
 * most about `maxTicks` intervals, and clamped to [0, 1]; [0, 1] when there are no values. Tick values are the decimals
 * their labels show, so a label read back is the value its position stands for.
 */
function fittedAxis(values: readonly number[], maxTicks: number): Axis {
  const finite = values.filter(Number.isFinite).map((v) => Math.min(1, Math.max(0, v)));
  let lo = finite.length > 0 ? Math.min(...finite) : 0;
  let hi = finite.length > 0 ? Math.max(...finite) : 1;
  const pad = Math.max((hi - lo) * 0.08, 0.02);
  lo = Math.max(0, lo - pad);
  hi = Math.min(1, hi + pad);
  const raw = (hi - lo) / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * magnitude;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const perUnit = Math.round(1 / step);
  const first = Math.max(0, Math.floor(lo / step + 1e-9));
  const last = Math.min(perUnit, Math.ceil(hi / step - 1e-9));
  const ticks = [];
  for (let i = first; i <= last; i++) {
    const label = (i * step).toFixed(decimals);
    ticks.push({ value: Number(label), label });
  }
  return { min: ticks[0].value, max: ticks[ticks.length - 1].value, ticks };
}

/** Words of `text` in lines of at most `maxChars` characters (a longer word gets a line of its own). */
function wrapText(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * CHAR_WIDTH;
}

/** Method names under the columns: level when every name fits its column, else all rotated by LABEL_ANGLE. */
function methodLabelLayout(methods: readonly string[], columnWidth: number) {
  const widths = methods.map((m) => textWidth(m, LABEL_FONT));
  const rotated = widths.some((w) => w > columnWidth - 6);
  const angle = (LABEL_ANGLE * Math.PI) / 180;
  const height = rotated ? Math.max(0, ...widths) * Math.sin(angle) + LABEL_FONT + 2 : LABEL_FONT + 12;
  // A rotated name ends at its column's centre and reaches left of it; the first ones may reach past the axis.
  const overhangLeft = rotated ? Math.max(0, ...widths.map((w, i) => w * Math.cos(angle) - columnWidth * (i + 0.5))) : 0;
  return {
    height,
    overhangLeft,
    draw(column: (i: number) => number, top: number, where: string): string[] {
      return methods.map((method, i) => {
        const x = num(column(i));
        const y = num(top + LABEL_FONT + 4);
        const attributes = rotated ? `text-anchor="end" transform="rotate(-${LABEL_ANGLE} ${x} ${y})"` : 'text-anchor="middle"';
        return `<text class="method-label" data-under="${where}" x="${x}" y="${y}" ${attributes} font-size="${LABEL_FONT}">${escapeXml(method)}</text>`;
      });
    },
  };
}

/** Legend items (a dot per seed, the mean bar, the whisker, the baseline), flowed into rows of `width`. */
function legendRows(seeds: readonly number[], baseline: string | undefined, width: number) {
  type Item = { width: number; x: number; draw: (x: number, y: number) => string };
  const label = (x: number, y: number, text: string) => `<text class="legend" x="${num(x)}" y="${num(y)}" dy="0.35em" font-size="${TICK_FONT}">${escapeXml(text)}</text>`;
  const items: Item[] = seeds.map((seed, s) => ({
    width: 16 + textWidth(`seed ${seed}`, TICK_FONT) + 12,
    x: 0,
    draw: (x, y) => `<circle class="legend-seed" cx="${num(x + 5)}" cy="${num(y)}" r="${DOT_RADIUS}" fill="${seedColour(s)}"/>\n${label(x + 14, y, `seed ${seed}`)}`,
  }));
  const line = (text: string, attrs: (x: number, y: number) => string) => ({
    width: 26 + textWidth(text, TICK_FONT) + 14,
    x: 0,
    draw: (x: number, y: number) => `${attrs(x, y)}\n${label(x + 24, y, text)}`,
  });
  items.push(line('mean over seeds', (x, y) => `<line class="legend-mean" x1="${num(x)}" y1="${num(y)}" x2="${num(x + 18)}" y2="${num(y)}" stroke="#111" stroke-width="3"/>`));
  items.push(line('± std', (x, y) => [
      `<line class="legend-std" x1="${num(x + 9)}" y1="${num(y - 6)}" x2="${num(x + 9)}" y2="${num(y + 6)}" stroke="#111" stroke-width="1.5"/>`,
      ...[y - 6, y + 6].map((cy) => `<line class="legend-std" x1="${num(x + 5)}" y1="${num(cy)}" x2="${num(x + 13)}" y2="${num(cy)}" stroke="#111" stroke-width="1.5"/>`),
    ].join('\n')));
  if (baseline !== undefined) {
    items.push(line(`baseline: mean of ${baseline}`, (x, y) => `<line class="legend-baseline" x1="${num(x)}" y1="${num(y)}" x2="${num(x + 18)}" y2="${num(y)}" stroke="#6b7280" stroke-width="1" stroke-dasharray="5 4"/>`));
  }
  const rows: Item[][] = [];
  let used = Infinity;
  for (const item of items) {
    if (used + item.width > width) {
      rows.push([]);
      used = 0;
    }
    item.x = used;
    used += item.width;
    rows[rows.length - 1].push(item);
  }
  return { rows };
}
