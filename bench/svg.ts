/**
 * A small SVG writer for the benchmark's charts: panels of lines on log–log axes, a shared legend.
 * No dependencies, no scripts, no external fonts (a generic `sans-serif`), a white background: the
 * file renders the same on GitHub (light or dark theme), in a browser or in an image viewer.
 */

/** A point (x, y > 0; others are left out); `hollow` draws its marker as a ring (e.g. a suspect measurement). */
export type SeriesPoint = readonly [x: number, y: number, hollow?: boolean];

/** One line: its points in the order they are drawn. */
export interface Series {
  name: string;
  colour: string;
  /** Dashed line, e.g. the one-thread row of a library that also has a multi-thread row. */
  dashed?: boolean;
  points: readonly SeriesPoint[];
}

export interface Axis {
  label: string;
  /** Tick values; absent: 1–2–5 steps (or powers of 10 over a wide range) covering the data. */
  ticks?: readonly number[];
}

export interface Panel {
  title: string;
  x: Axis;
  y: Axis;
  series: readonly Series[];
}

export interface Chart {
  title: string;
  /** Smaller lines under the title (the machine, the net, the method). */
  notes?: readonly string[];
  panels: readonly Panel[];
  /** Panels per row. */
  columns: number;
}

const PANEL = { width: 440, height: 300 } as const;
/** Space around a panel's plot area: tick labels and the axis label on the left and at the bottom. */
const MARGIN = { left: 66, right: 18, top: 30, bottom: 46 } as const;
const LEGEND_ROW = 20;
const FONT = 'font-family="sans-serif"';

/** The whole chart as an SVG document. */
export function chartSvg(chart: Chart): string {
  const legend = uniqueSeries(chart.panels);
  const head = 30 + 16 * (chart.notes?.length ?? 0);
  const legendColumns = Math.max(1, Math.floor((PANEL.width * chart.columns) / 200));
  const legendHeight = LEGEND_ROW * Math.ceil(legend.length / legendColumns) + 8;
  const rows = Math.ceil(chart.panels.length / chart.columns);
  const width = PANEL.width * chart.columns;
  const height = head + legendHeight + PANEL.height * rows;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" ${FONT} font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
    ...(chart.notes ?? []).map((n, i) => `<text x="${width / 2}" y="${40 + 16 * i}" text-anchor="middle" ${FONT} font-size="11" fill="#444444">${escapeXml(n)}</text>`),
    ...legend.map((s, i) => {
      const x = 20 + (i % legendColumns) * 200;
      const y = head + 8 + LEGEND_ROW * Math.floor(i / legendColumns);
      return (
        `<g class="legend"><line x1="${x}" y1="${y + 6}" x2="${x + 26}" y2="${y + 6}" ${stroke(s)}/>` +
        `<circle cx="${x + 13}" cy="${y + 6}" r="3" fill="${s.colour}"/>` +
        `<text x="${x + 32}" y="${y + 10}" ${FONT} font-size="12">${escapeXml(s.name)}</text></g>`
      );
    }),
    ...chart.panels.map((p, i) => panelSvg(p, (i % chart.columns) * PANEL.width, head + legendHeight + Math.floor(i / chart.columns) * PANEL.height)),
    '</svg>',
  ];
  return `${parts.join('\n')}\n`;
}

/** One panel with its top-left corner at (left, top). */
function panelSvg(panel: Panel, left: number, top: number): string {
  const points = panel.series.flatMap((s) => drawable(s.points));
  const xTicks = panel.x.ticks ?? logTicks(points.map((p) => p[0]));
  const yTicks = panel.y.ticks ?? logTicks(points.map((p) => p[1]));
  const x0 = left + MARGIN.left;
  const x1 = left + PANEL.width - MARGIN.right;
  const y0 = top + PANEL.height - MARGIN.bottom;
  const y1 = top + MARGIN.top;
  const X = logScale(xTicks, x0, x1);
  const Y = logScale(yTicks, y0, y1);
  const out = [`<g class="panel">`, `<text x="${(x0 + x1) / 2}" y="${top + 18}" text-anchor="middle" ${FONT} font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`];
  for (const t of xTicks) {
    const x = r(X(t));
    out.push(`<line x1="${x}" y1="${y1}" x2="${x}" y2="${y0}" stroke="#e4e4e4"/>`);
    out.push(`<text class="tick" x="${x}" y="${y0 + 15}" text-anchor="middle" ${FONT} font-size="10">${tickLabel(t)}</text>`);
  }
  for (const t of yTicks) {
    const y = r(Y(t));
    out.push(`<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text class="tick" x="${x0 - 5}" y="${y + 3.5}" text-anchor="end" ${FONT} font-size="10">${tickLabel(t)}</text>`);
  }
  out.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#888888"/>`);
  out.push(`<text class="axis" x="${(x0 + x1) / 2}" y="${y0 + 34}" text-anchor="middle" ${FONT} font-size="12">${escapeXml(panel.x.label)}</text>`);
  const yMid = (y0 + y1) / 2;
  out.push(`<text class="axis" x="${left + 16}" y="${yMid}" text-anchor="middle" transform="rotate(-90 ${left + 16} ${yMid})" ${FONT} font-size="12">${escapeXml(panel.y.label)}</text>`);
  for (const s of panel.series) {
    const pts = drawable(s.points);
    if (pts.length === 0) continue;
    out.push(`<g class="series"><title>${escapeXml(s.name)}</title>`);
    out.push(`<polyline fill="none" ${stroke(s)} points="${pts.map(([x, y]) => `${r(X(x))},${r(Y(y))}`).join(' ')}"/>`);
    for (const [x, y, hollow] of pts) {
      out.push(`<circle cx="${r(X(x))}" cy="${r(Y(y))}" r="${hollow ? 3.5 : 2.5}" ${hollow ? `fill="#ffffff" stroke="${s.colour}" stroke-width="1.5"` : `fill="${s.colour}"`}/>`);
    }
    out.push('</g>');
  }
  out.push('</g>');
  return out.join('\n');
}

/** Maps [first tick, last tick] onto [from, to] on a log scale. */
export function logScale(ticks: readonly number[], from: number, to: number): (v: number) => number {
  const lo = Math.log(ticks[0]!);
  const span = Math.log(ticks[ticks.length - 1]!) - lo || 1;
  return (v) => from + ((Math.log(v) - lo) / span) * (to - from);
}

/**
 * Ticks for a log axis covering `values`: 1–2–5 steps from the one at or below the smallest value
 * to the one at or above the largest; over more than three decades, powers of 10 only.
 */
export function logTicks(values: readonly number[]): number[] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [1, 10];
  const min = Math.min(...positive);
  const max = Math.max(...positive);
  const steps = Math.log10(max) - Math.log10(min) > 3 ? [1] : [1, 2, 5];
  const ladder: number[] = [];
  for (let e = Math.floor(Math.log10(min)) - 1; e <= Math.ceil(Math.log10(max)) + 1; e++) {
    for (const s of steps) ladder.push(Number((s * 10 ** e).toPrecision(1)));
  }
  let first = 0;
  while (ladder[first + 1]! <= min) first++;
  const last = ladder.findIndex((t) => t >= max);
  const ticks = ladder.slice(first, last + 1);
  return ticks.length > 1 ? ticks : [ticks[0]!, ladder[last + 1]!];
}

/** 2048 → "2048", 20000 → "20k", 1500000 → "1.5M", 0.05 → "0.05". */
export function tickLabel(v: number): string {
  const [scale, suffix] = v >= 1e9 ? [1e9, 'G'] : v >= 1e6 ? [1e6, 'M'] : v >= 1e4 ? [1e3, 'k'] : [1, ''];
  return `${Number((v / scale).toPrecision(4))}${suffix}`;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function drawable(points: Series['points']): SeriesPoint[] {
  return points.filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y));
}

/** Every series once, in first-seen order (the legend). */
function uniqueSeries(panels: readonly Panel[]): Series[] {
  const seen = new Map<string, Series>();
  for (const p of panels) for (const s of p.series) if (!seen.has(s.name)) seen.set(s.name, s);
  return [...seen.values()];
}

function stroke(s: Series): string {
  return `stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 3"' : ''}`;
}

function r(v: number): number {
  return Math.round(v * 10) / 10;
}
