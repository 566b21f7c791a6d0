// Accessible inline SVG charts, built with createElementNS (never innerHTML). Every chart is a
// <figure> with a titled, described <svg role="img"> and, below it, the same figures as a table.

import { el, clear } from './ui.js';

const NS = 'http://www.w3.org/2000/svg';
let uid = 0;

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** A round axis maximum at or above value (1, 2, 2.5, 5 × 10^k). */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/** From pale to dark blue, with the text colour that keeps AA contrast on it. */
export function heatColor(share) {
  const s = Math.max(0, Math.min(1, share || 0));
  const light = [239, 244, 251];
  const dark = [18, 52, 110];
  const rgb = light.map((c, i) => Math.round(c + (dark[i] - c) * s));
  return { fill: `rgb(${rgb.join(',')})`, text: s >= 0.5 ? '#ffffff' : '#1b1f24' };
}

function frame(figure, title, summary) {
  clear(figure);
  const id = `chart-${++uid}`;
  const root = svg('svg', {
    role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, preserveAspectRatio: 'xMinYMin meet',
    class: 'chart-svg', focusable: 'false',
  }, svg('title', { id: `${id}-t` }, title), svg('desc', { id: `${id}-d` }, summary));
  figure.appendChild(root);
  figure.appendChild(el('figcaption', { class: 'visually-hidden' }, title));
  return root;
}

/** The chart's figures as a table (shown under the chart, in a disclosure). */
export function dataTable(caption, header, rows, { open = false, label } = {}) {
  const table = el('table', { class: 'table table-compact' },
    el('caption', { class: 'visually-hidden' }, caption),
    el('thead', null, el('tr', null, header.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', null, rows.map((row) => el('tr', null,
      row.map((cell, i) => (i === 0 ? el('th', { scope: 'row' }, cell) : el('td', null, cell)))))));
  return el('details', { class: 'chart-data', open },
    el('summary', null, label || caption),
    el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption }, table));
}

/**
 * Stacked bars: labels along x, series [{name, values, color}] stacked.
 * Returns nothing; fills `figure` with the svg and its legend.
 */
export function barChart(figure, { title, summary, labels, series, height = 220, format = String }) {
  const root = frame(figure, title, summary);
  const width = Math.max(320, Math.min(960, labels.length * 28 + 60));
  const left = 48;
  const bottom = 28;
  const plotH = height - bottom - 10;
  const plotW = width - left - 8;
  root.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const totals = labels.map((_, i) => series.reduce((sum, s) => sum + (Number(s.values[i]) || 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  for (let k = 0; k <= 4; k += 1) {
    const y = 10 + plotH - (plotH * k) / 4;
    root.appendChild(svg('line', { x1: left, x2: width - 8, y1: y, y2: y, class: 'grid' }));
    root.appendChild(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' },
      format((top * k) / 4)));
  }
  const bw = plotW / Math.max(1, labels.length);
  const every = Math.max(1, Math.ceil(labels.length / 16));
  labels.forEach((label, i) => {
    let base = 10 + plotH;
    for (const s of series) {
      const v = Number(s.values[i]) || 0;
      const h = top ? (plotH * v) / top : 0;
      if (h > 0) {
        root.appendChild(svg('rect', {
          x: left + i * bw + bw * 0.15, y: base - h, width: Math.max(1, bw * 0.7), height: h,
          fill: s.color,
        }, svg('title', null, `${label} · ${s.name}: ${format(v)}`)));
      }
      base -= h;
    }
    if (i % every === 0) {
      root.appendChild(svg('text', {
        x: left + i * bw + bw / 2, y: height - 10, 'text-anchor': 'middle', class: 'axis',
      }, label));
    }
  });
  figure.insertBefore(legend(series), figure.lastChild);
}

/** A line chart (one or more series, null values leave gaps). */
export function lineChart(figure, { title, summary, labels, series, max, height = 200, format = String }) {
  const root = frame(figure, title, summary);
  const width = Math.max(320, Math.min(960, labels.length * 28 + 60));
  const left = 48;
  const plotH = height - 38;
  const plotW = width - left - 12;
  root.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const values = series.flatMap((s) => s.values).filter((v) => v !== null && v !== undefined);
  const top = max || niceMax(Math.max(0, ...values));
  for (let k = 0; k <= 4; k += 1) {
    const y = 10 + plotH - (plotH * k) / 4;
    root.appendChild(svg('line', { x1: left, x2: width - 12, y1: y, y2: y, class: 'grid' }));
    root.appendChild(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' },
      format((top * k) / 4)));
  }
  const step = labels.length > 1 ? plotW / (labels.length - 1) : 0;
  const xOf = (i) => left + (labels.length > 1 ? i * step : plotW / 2);
  const yOf = (v) => 10 + plotH - (plotH * Math.min(v, top)) / top;
  for (const s of series) {
    let d = '';
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      d += `${d && s.values[i - 1] !== null && s.values[i - 1] !== undefined ? 'L' : 'M'}${xOf(i).toFixed(1)},${yOf(v).toFixed(1)} `;
      root.appendChild(svg('circle', { cx: xOf(i), cy: yOf(v), r: 3, fill: s.color },
        svg('title', null, `${labels[i]} · ${s.name}: ${format(v)}`)));
    });
    if (d) root.appendChild(svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2 }));
  }
  const every = Math.max(1, Math.ceil(labels.length / 12));
  labels.forEach((label, i) => {
    if (i % every === 0) {
      root.appendChild(svg('text', { x: xOf(i), y: height - 10, 'text-anchor': 'middle', class: 'axis' }, label));
    }
  });
  figure.insertBefore(legend(series), figure.lastChild);
}

/** Weekday × hour grid; cells {weekday, hour, value}; rowLabels[0..6]. */
export function heatmap(figure, { title, summary, cells, rowLabels, format = String }) {
  const root = frame(figure, title, summary);
  const hoursSeen = cells.map((c) => c.hour);
  const first = hoursSeen.length ? Math.min(...hoursSeen) : 7;
  const last = hoursSeen.length ? Math.max(...hoursSeen) : 17;
  const hours = [];
  for (let h = first; h <= last; h += 1) hours.push(h);
  const cw = 34;
  const ch = 26;
  const left = 84;
  const width = left + hours.length * cw + 4;
  const height = 24 + 7 * ch + 4;
  root.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const top = Math.max(0, ...cells.map((c) => c.value));
  const byKey = new Map(cells.map((c) => [`${c.weekday}:${c.hour}`, c.value]));
  hours.forEach((h, j) => {
    root.appendChild(svg('text', { x: left + j * cw + cw / 2, y: 16, 'text-anchor': 'middle', class: 'axis' }, `${h}`));
  });
  for (let w = 0; w < 7; w += 1) {
    const y = 24 + w * ch;
    root.appendChild(svg('text', { x: left - 6, y: y + ch / 2 + 4, 'text-anchor': 'end', class: 'axis' }, rowLabels[w]));
    hours.forEach((h, j) => {
      const v = byKey.get(`${w}:${h}`) || 0;
      const color = heatColor(top ? v / top : 0);
      root.appendChild(svg('rect', {
        x: left + j * cw, y, width: cw - 2, height: ch - 2, fill: color.fill, rx: 3,
      }, svg('title', null, `${rowLabels[w]} ${h}:00 · ${format(v)}`)));
      if (v) {
        root.appendChild(svg('text', {
          x: left + j * cw + (cw - 2) / 2, y: y + ch / 2 + 3, 'text-anchor': 'middle',
          class: 'cell', fill: color.text,
        }, format(v)));
      }
    });
  }
}

function legend(series) {
  return el('ul', { class: 'chart-legend' }, series.map((s) => {
    const swatch = svg('svg', { width: 12, height: 12, 'aria-hidden': 'true', focusable: 'false' },
      svg('rect', { width: 12, height: 12, rx: 2, fill: s.color }));
    return el('li', null, swatch, s.name);
  }));
}
