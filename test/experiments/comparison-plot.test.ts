import { describe, expect, it } from 'vitest';
import { comparisonPlotSvg, plotPathFor, type PlottedRun } from '../../src/experiments/comparison-plot.js';

// Hand-made runs: mean foreground Dice and two classes' Dice per seed, a NaN seed and a missing seed among them.
const run = (method: string, seed: number, meanDice: number, dice: number[]): PlottedRun => ({ method, seed, meanDice, dice });
const RESULTS: PlottedRun[] = [
  run('base', 1, 0.6, [0.5, 0.7]),
  run('base', 2, 0.7, [0.6, 0.8]),
  run('base', 3, 0.8, [0.7, 0.9]),
  run('a<b&c', 1, 0.55, [0.45, 0.65]),
  run('a<b&c', 2, Number.NaN, [Number.NaN, Number.NaN]),
  run('a<b&c', 3, 0.75, [0.65, 0.85]),
  run('third', 1, 0.9, [0.85, 0.95]),
  run('third', 2, 0.95, [0.95, Number.NaN]),
];
const OPTIONS = { classNames: ['background', 'left', 'right'], caption: 'Test split, "3" seeds & <no> tuning' };

// Worked out by hand from RESULTS, NaN left out (population std).
const EXPECTED = {
  mean: { base: { mean: 0.7, std: Math.sqrt(0.02 / 3), dots: [0.6, 0.7, 0.8] }, 'a<b&c': { mean: 0.65, std: 0.1, dots: [0.55, 0.75] }, third: { mean: 0.925, std: 0.025, dots: [0.9, 0.95] } },
  'class-1': { base: { mean: 0.6, std: Math.sqrt(0.02 / 3), dots: [0.5, 0.6, 0.7] }, 'a<b&c': { mean: 0.55, std: 0.1, dots: [0.45, 0.65] }, third: { mean: 0.9, std: 0.05, dots: [0.85, 0.95] } },
  'class-2': { base: { mean: 0.8, std: Math.sqrt(0.02 / 3), dots: [0.7, 0.8, 0.9] }, 'a<b&c': { mean: 0.75, std: 0.1, dots: [0.65, 0.85] }, third: { mean: 0.95, std: 0, dots: [0.95] } },
} as const;
const METHODS = ['base', 'a<b&c', 'third'] as const;

type Attributes = Record<string, string>;

const unescape = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

function attributesOf(tag: string): Attributes {
  return Object.fromEntries([...tag.matchAll(/([\w:-]+)="([^"]*)"/g)].map((m) => [m[1], unescape(m[2])]));
}

/** Opening tags of `name` in `svg` with their attributes (a regex reading, enough for the plot's flat markup). */
function elements(svg: string, name: string, cls?: string): Attributes[] {
  return [...svg.matchAll(new RegExp(`<${name}\\b([^>]*?)/?>`, 'g'))].map((m) => attributesOf(m[1])).filter((a) => cls === undefined || a.class === cls);
}

function texts(svg: string, cls: string): { attributes: Attributes; text: string }[] {
  return [...svg.matchAll(/<text\b([^>]*)>([^<]*)<\/text>/g)].map((m) => ({ attributes: attributesOf(m[1]), text: unescape(m[2]) })).filter((t) => t.attributes.class === cls);
}

/** Each panel's markup by its data-panel key. */
function panels(svg: string): Map<string, string> {
  return new Map([...svg.matchAll(/<g class="panel" data-panel="([^"]+)">([\s\S]*?)<\/g>/g)].map((m) => [m[1], m[2]]));
}

/** Dice at a y position of a panel, from the first and last tick labels' positions and values as the SVG states them. */
function axisOf(panel: string): { valueAt: (y: number) => number; ticks: number[] } {
  const ticks = texts(panel, 'tick-label').map((t) => ({ y: Number(t.attributes.y), value: Number(t.text) }));
  expect(ticks.length).toBeGreaterThanOrEqual(2);
  const [a, b] = [ticks[0], ticks[ticks.length - 1]];
  return { valueAt: (y) => a.value + ((y - a.y) * (b.value - a.value)) / (b.y - a.y), ticks: ticks.map((t) => t.value) };
}

/** Tags open and close in order, self-closing ones stand alone, and nothing outside markup is a bare `&` or `<`. */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)\b[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (!m[1]) stack.push(m[2]);
    else if (stack.pop() !== m[2]) return false;
  }
  const outsideTags = svg.replace(/<[^>]*>/g, '');
  return stack.length === 0 && !/&(?!amp;|lt;|gt;|quot;|#39;)/.test(svg) && !outsideTags.includes('<') && !outsideTags.includes('>');
}

describe('comparison plot', () => {
  const svg = comparisonPlotSvg(RESULTS, OPTIONS);
  const byPanel = panels(svg);

  describe('having three methods, a NaN seed and a missing seed', () => {
    it('should be one well-formed, self-contained svg element', () => {
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(wellFormed(svg)).toBe(true);
      expect(svg).not.toMatch(/<script|<foreignObject|<image|<style|href=|url\(|@import|@font-face/i);
    });

    it('should draw one dot per finite (method, seed) result, none for the NaN seed', () => {
      const dots = elements(byPanel.get('mean')!, 'circle', 'seed');
      expect(dots).toHaveLength(7);
      expect(dots.filter((d) => d['data-method'] === 'a<b&c').map((d) => d['data-seed'])).toEqual(['1', '3']);
      expect(elements(byPanel.get('class-2')!, 'circle', 'seed')).toHaveLength(6);
    });

    it("should put each dot at its Dice on the panel's own axis, its mean bar at the mean and its whisker at ± std", () => {
      for (const [key, expected] of Object.entries(EXPECTED)) {
        const panel = byPanel.get(key)!;
        const { valueAt } = axisOf(panel);
        for (const method of METHODS) {
          const want = expected[method];
          const dots = elements(panel, 'circle', 'seed').filter((d) => d['data-method'] === method);
          expect(dots.map((d) => valueAt(Number(d.cy))).map((v) => v.toFixed(6))).toEqual(want.dots.map((v) => v.toFixed(6)));
          const [bar] = elements(panel, 'line', 'mean').filter((l) => l['data-method'] === method);
          expect(bar.y1).toBe(bar.y2);
          expect(Math.abs(valueAt(Number(bar.y1)) - want.mean)).toBeLessThan(1e-6);
          const [whisker] = elements(panel, 'line', 'std').filter((l) => l['data-method'] === method);
          expect(Math.abs(valueAt(Number(whisker.y1)) - (want.mean + want.std))).toBeLessThan(1e-6);
          expect(Math.abs(valueAt(Number(whisker.y2)) - (want.mean - want.std))).toBeLessThan(1e-6);
        }
      }
    });

    it("should draw the baseline dashed at the first method's mean in every panel", () => {
      for (const [key, expected] of Object.entries(EXPECTED)) {
        const panel = byPanel.get(key)!;
        const [baseline] = elements(panel, 'line', 'baseline');
        expect(baseline['stroke-dasharray']).toBeTruthy();
        expect(baseline['data-method']).toBe('base');
        expect(Math.abs(axisOf(panel).valueAt(Number(baseline.y1)) - expected.base.mean)).toBeLessThan(1e-6);
      }
    });

    it('should fit the axis to the data, padded and within [0, 1]', () => {
      // Mean panel: dots and whiskers span 0.55 … 0.95.
      const { ticks } = axisOf(byPanel.get('mean')!);
      expect(ticks[0]).toBeGreaterThan(0);
      expect(ticks[0]).toBeLessThan(0.55);
      expect(ticks[ticks.length - 1]).toBeGreaterThan(0.95);
      expect(ticks[ticks.length - 1]).toBeLessThanOrEqual(1);
      expect(elements(byPanel.get('mean')!, 'line', 'grid')).toHaveLength(ticks.length);
    });

    it('should keep the seed at the same offset in every column, in seed order, and methods in table order', () => {
      const panel = byPanel.get('mean')!;
      const centre = (method: string) => {
        const [bar] = elements(panel, 'line', 'mean').filter((l) => l['data-method'] === method);
        return (Number(bar.x1) + Number(bar.x2)) / 2;
      };
      const offsets = (method: string) => Object.fromEntries(elements(panel, 'circle', 'seed').filter((d) => d['data-method'] === method).map((d) => [d['data-seed'], Number((Number(d.cx) - centre(method)).toFixed(3))]));
      const base = offsets('base');
      expect(base['1']).toBeLessThan(base['2']);
      expect(base['2']).toBeLessThan(base['3']);
      expect(offsets('a<b&c')).toEqual({ 1: base['1'], 3: base['3'] });
      expect(offsets('third')).toEqual({ 1: base['1'], 2: base['2'] });
      expect(centre('base')).toBeLessThan(centre('a<b&c'));
      expect(centre('a<b&c')).toBeLessThan(centre('third'));
      expect(texts(svg, 'method-label').filter((t) => t.attributes['data-under'] === 'mean').map((t) => t.text)).toEqual([...METHODS]);
    });

    it('should escape names and the caption', () => {
      expect(svg).toContain('a&lt;b&amp;c');
      expect(svg).not.toContain('a<b&c');
      expect(texts(svg, 'title').map((t) => t.text).join(' ')).toBe(OPTIONS.caption);
      expect(svg).toContain('&quot;3&quot; seeds &amp; &lt;no&gt; tuning');
    });
  });

  describe('when the same results are plotted twice, or read back from JSON (NaN written as null)', () => {
    it('should give the identical string', () => {
      expect(comparisonPlotSvg(RESULTS, OPTIONS)).toBe(svg);
      expect(comparisonPlotSvg(JSON.parse(JSON.stringify(RESULTS)) as PlottedRun[], OPTIONS)).toBe(svg);
    });
  });

  describe('having one foreground class, or per-class panels turned off', () => {
    it('should draw the mean panel only', () => {
      expect([...panels(comparisonPlotSvg(RESULTS, { ...OPTIONS, classNames: ['background', 'left'] })).keys()]).toEqual(['mean']);
      expect([...panels(comparisonPlotSvg(RESULTS, { ...OPTIONS, perClass: false })).keys()]).toEqual(['mean']);
      expect([...byPanel.keys()]).toEqual(['mean', 'class-1', 'class-2']);
    });
  });

  describe('having a method with no finite result at all', () => {
    it('should keep its column, say so, and leave it out of the axis and the baseline', () => {
      const plot = comparisonPlotSvg([run('none', 1, Number.NaN, [Number.NaN]), run('ok', 1, 0.8, [0.8])], { classNames: ['bg', 'x'], caption: 'c' });
      const panel = panels(plot).get('mean')!;
      expect(wellFormed(plot)).toBe(true);
      expect(texts(panel, 'no-result').map((t) => t.attributes['data-method'])).toEqual(['none']);
      expect(elements(panel, 'circle', 'seed')).toHaveLength(1);
      expect(elements(panel, 'line', 'baseline')).toHaveLength(0);
      expect(Math.abs(axisOf(panel).valueAt(Number(elements(panel, 'circle', 'seed')[0].cy)) - 0.8)).toBeLessThan(1e-6);
    });
  });

  describe('having runs also scored after post-processing (the +LCC columns)', () => {
    const lcc = (r: PlottedRun, meanDice: number): PlottedRun => ({ ...r, postprocess: 'largest-component-per-class', postprocessed: { meanDice, dice: [meanDice, meanDice], hd95: [1, 1], meanHd95: 1 } });
    const scored = [lcc(RESULTS[0], 0.8), lcc(RESULTS[1], 0.9), lcc(RESULTS[2], Number.NaN), lcc(RESULTS[3], 0.7)];
    const plot = comparisonPlotSvg(scored, OPTIONS);
    const panel = panels(plot).get('postprocessed-mean')!;

    it('should add a panel under the mean panel, headed with the post-processing, with a dot per finite post-processed Dice', () => {
      expect(wellFormed(plot)).toBe(true);
      expect([...panels(plot).keys()]).toEqual(['mean', 'postprocessed-mean', 'class-1', 'class-2']);
      expect(texts(panel, 'panel-heading')[0].text).toBe('mean foreground Dice after largest-component-per-class (one dot per seed)');
      const { valueAt } = axisOf(panel);
      const dots = elements(panel, 'circle', 'seed');
      expect(dots.map((d) => [d['data-method'], d['data-seed'], valueAt(Number(d.cy)).toFixed(6)])).toEqual([
        ['base', '1', '0.800000'],
        ['base', '2', '0.900000'],
        ['a<b&c', '1', '0.700000'],
      ]);
      const [bar] = elements(panel, 'line', 'mean').filter((l) => l['data-method'] === 'base');
      expect(Math.abs(valueAt(Number(bar.y1)) - 0.85)).toBeLessThan(1e-6);
    });

    it('should leave the raw mean panel as it was', () => {
      expect(panels(plot).get('mean')).toBe(panels(comparisonPlotSvg(scored.map(({ postprocess, postprocessed, ...raw }) => raw), OPTIONS)).get('mean'));
    });

    it('should not draw the panel when no run was post-processed', () => {
      expect(byPanel.has('postprocessed-mean')).toBe(false);
    });
  });

  describe('having a table path', () => {
    it('should put the plot beside it with .svg for .md', () => {
      expect(plotPathFor('out/results.md')).toBe('out/results.svg');
      expect(plotPathFor('out/table.MD')).toBe('out/table.svg');
      expect(plotPathFor('out/table.txt')).toBe('out/table.txt.svg');
    });
  });
});
