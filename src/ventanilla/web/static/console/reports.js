// Reports (/console/reports): filters, the quality score and its trend, key figures, findings,
// charts (each with its table), breakdowns, exports and the targets (admins edit them).
// Agents see only their own figures; the server enforces it.

import { api } from './api.js';
import { barChart, dataTable, heatmap, lineChart } from './charts.js';
import { formatDuration, lang, t } from './i18n.js';
import './shell.js';
import { $, announce, clear, el } from './ui.js';

const app = $('#reports-app');
const role = app.dataset.role;
const form = $('#reports-filters');
const COLORS = { attended: '#1f4e8c', assistant: '#2e7d32', missed: '#b71c1c', score: '#6a1b9a', ratings: '#8a5a00', wait: '#1f4e8c' };
const number = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
const pct = (v) => (v === null || v === undefined ? '–' : `${Math.round(v * 100)} %`);
const dur = (v) => (v === null || v === undefined ? '–' : formatDuration(v));
const num = (v) => (v === null || v === undefined ? '–' : number.format(v));
const stars = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const sat = (v) => (v === null || v === undefined ? '–' : stars.format(v));
const weekdays = [0, 1, 2, 3, 4, 5, 6].map((i) => t(`weekday.${i}`));
let board = null;

function iso(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function applyPreset(preset) {
  const today = new Date();
  let start = new Date(today.getFullYear(), today.getMonth(), 1);
  let end = today;
  if (preset === 'last_month') {
    start = new Date(today.getFullYear(), today.getMonth() - 1, 1);
    end = new Date(today.getFullYear(), today.getMonth(), 0);
  } else if (preset === 'last_7' || preset === 'last_30') {
    start = new Date(today);
    start.setDate(today.getDate() - (preset === 'last_7' ? 6 : 29));
  } else if (preset === 'yesterday') {
    start = new Date(today);
    start.setDate(today.getDate() - 1);
    end = start;
  } else if (preset === 'this_year') {
    start = new Date(today.getFullYear(), 0, 1);
  } else if (preset === 'custom') {
    return;
  }
  form.elements.start.value = iso(start);
  form.elements.end.value = iso(end);
  form.elements.grain.value = preset === 'this_year' ? 'month' : 'day';
}

function query() {
  const q = {};
  for (const name of ['start', 'end', 'grain', 'agent_id', 'request_type', 'category', 'channel']) {
    const field = form.elements[name];
    if (field && field.value) q[name] = field.value;
  }
  return q;
}

function exportLinks(q) {
  const params = (extra) => new URLSearchParams({ ...q, ...extra }).toString();
  $('#x-csv').href = `/api/reports/export?${params({ format: 'csv', table: 'conversations' })}`;
  $('#x-csv-daily').href = `/api/reports/export?${params({ format: 'csv', table: 'daily' })}`;
  $('#x-xlsx').href = `/api/reports/export?${params({ format: 'xlsx' })}`;
  const pdf = $('#x-pdf');
  if (pdf) {
    const month = (q.start || iso(new Date())).slice(0, 7);
    pdf.href = `/api/reports/monthly.pdf?month=${month}`;
    pdf.textContent = t('reports.ui.pdf_month', { month });
  }
}

async function load({ quiet = false } = {}) {
  const q = query();
  exportLinks(q);
  app.setAttribute('aria-busy', 'true');
  try {
    board = await api.get('/api/reports/dashboard', q);
  } catch (err) {
    announce(err.message, { error: true });
    return;
  } finally {
    app.removeAttribute('aria-busy');
  }
  render(board);
  if (!quiet) announce(t('reports.ui.loaded', { start: board.period.start, end: board.period.end }));
}

function fillOptions(options) {
  const agent = form.elements.agent_id;
  if (agent && agent.options.length <= 1) {
    for (const a of options.agents) agent.appendChild(el('option', { value: String(a.id) }, a.name));
  }
  const cat = form.elements.category;
  const keep = cat.value;
  while (cat.options.length > 1) cat.remove(1);
  for (const c of options.categories) cat.appendChild(el('option', { value: c }, c));
  cat.value = keep;
}

function render(b) {
  fillOptions(b.options);
  $('#reports-period').textContent = t('reports.ui.period_line', {
    start: b.period.start, end: b.period.end, tz: b.timezone,
  });
  renderScore(b);
  renderFigures(b.figures);
  renderFindings(b.findings);
  renderTrend(b);
  renderHeatmap(b.heatmap);
  renderWait(b.wait_distribution);
  renderSatisfaction(b.figures);
  renderBreakdown($('#table-types'), b.by_request_type, 'request_type', (k) => requestTypeLabel(k));
  renderBreakdown($('#table-categories'), b.by_category, 'category', (k) => k || t('reports.no_category'));
  renderAgents(b.agents);
  renderCases(b.cases_on_time || []);
  renderTargets(b.targets);
}

function requestTypeLabel(code) {
  const opt = form.elements.request_type.querySelector(`option[value="${CSS.escape(code)}"]`);
  return opt ? opt.textContent : code;
}

function partValue(c) {
  return c.name === 'satisfaction' ? sat(c.value) : pct(c.value);
}

function renderScore(b) {
  $('#score-value').textContent = b.score.value === null ? '–' : num(b.score.value);
  const body = $('#score-components tbody');
  clear(body);
  if (!b.score.components.length) {
    body.appendChild(el('tr', null, el('td', { colspan: '5', class: 'empty' }, t('reports.ui.no_data'))));
  }
  for (const c of b.score.components) {
    body.appendChild(el('tr', null,
      el('th', { scope: 'row' }, t(`reports.component.${c.name}`)),
      el('td', null, partValue(c)),
      el('td', null, c.name === 'satisfaction' ? num(c.target) : pct(c.target)),
      el('td', null, pct(c.attainment)),
      el('td', null, pct(c.weight))));
  }
  const labels = b.trend.map((p) => p.period.slice(5));
  lineChart($('#chart-score'), {
    title: t('reports.chart.score_trend'),
    summary: t('reports.ui.score_summary', { value: num(b.score.value) }),
    labels,
    max: 100,
    series: [{ name: t('reports.score'), values: b.trend.map((p) => p.score), color: COLORS.score }],
    format: num,
  });
  $('#chart-score').appendChild(dataTable(t('reports.chart.score_trend'), [t('reports.col.period'), t('reports.score')],
    b.trend.map((p) => [p.period, num(p.score)]), { label: t('reports.ui.see_data') }));
}

function renderFigures(f) {
  const dl = $('#figures');
  clear(dl);
  const items = [
    ['citizens', num(f.citizens)], ['conversations', num(f.conversations)],
    ['assistant_only', num(f.assistant_only)], ['handed_over', num(f.handed_over)],
    ['attended', num(f.attended)], ['missed', `${num(f.missed)} (${pct(f.missed_share)})`],
    ['abandoned', num(f.abandoned)], ['wait_avg', dur(f.wait_avg)],
    ['first_response_avg', dur(f.first_response_avg)], ['first_response_within_share', pct(f.first_response_within_share)],
    ['response_avg', dur(f.response_avg)], ['handling_avg', dur(f.handling_avg)],
    ['satisfaction_avg', sat(f.satisfaction_avg)], ['resolved_share', pct(f.resolved_share)],
    ['transfers', num(f.transfers)], ['reopened', num(f.reopened)],
  ];
  for (const channel of ['chat', 'email', 'offline']) {
    items.push([`channel.${channel}`, num(f.by_channel[channel] || 0)]);
  }
  for (const [key, value] of items) {
    const label = key.startsWith('channel.') ? t(`reports.${key}`) : t(`reports.metric.${key}`);
    dl.appendChild(el('div', { class: 'tile', dataset: { metric: key } }, el('dt', null, label), el('dd', null, value)));
  }
}

function renderFindings(findings) {
  const list = $('#findings');
  if (!list) return;
  clear(list);
  if (!findings.length) list.appendChild(el('li', { class: 'empty' }, t('reports.findings_none')));
  for (const f of findings) {
    list.appendChild(el('li', { class: `finding finding-${f.severity}`, dataset: { kind: f.kind } },
      el('strong', null, f.title),
      el('span', { class: 'visually-hidden' }, ` (${t(`reports.ui.severity.${f.severity}`)})`),
      el('p', null, f.detail),
      f.kind === 'assistant_gaps' && f.evidence[0].examples.length
        ? el('ul', { class: 'examples' }, f.evidence[0].examples.map((x) => el('li', null, `«${x}»`)))
        : null));
  }
}

function renderTrend(b) {
  const labels = b.trend.map((p) => (b.period.grain === 'month' ? p.period.slice(0, 7) : p.period.slice(5)));
  const series = [
    { name: t('reports.series.attended'), values: b.trend.map((p) => p.attended), color: COLORS.attended },
    { name: t('reports.series.assistant'), values: b.trend.map((p) => p.assistant_only), color: COLORS.assistant },
    { name: t('reports.series.missed'), values: b.trend.map((p) => p.missed), color: COLORS.missed },
  ];
  const total = b.trend.reduce((s, p) => s + p.conversations, 0);
  const fig = $('#chart-trend');
  barChart(fig, { title: t('reports.chart.trend'), summary: t('reports.ui.trend_summary', { n: total }), labels, series, format: num });
  fig.appendChild(dataTable(t('reports.chart.trend'),
    [t('reports.col.period'), t('reports.col.conversations'), t('reports.series.attended'), t('reports.series.assistant'),
      t('reports.series.missed'), t('reports.metric.wait_avg'), t('reports.metric.first_response_within_share'),
      t('reports.metric.satisfaction_avg')],
    b.trend.map((p) => [p.period, num(p.conversations), num(p.attended), num(p.assistant_only), num(p.missed),
      dur(p.wait_avg), pct(p.first_response_within_share), sat(p.satisfaction_avg)]),
    { label: t('reports.ui.see_data') }));
}

function renderHeatmap(cells) {
  const fig = $('#chart-heatmap');
  const busiest = cells.reduce((a, c) => (c.conversations > (a ? a.conversations : -1) ? c : a), null);
  heatmap(fig, {
    title: t('reports.chart.heatmap'),
    summary: busiest
      ? t('reports.ui.heat_summary', { day: weekdays[busiest.weekday], hour: busiest.hour, n: busiest.conversations })
      : t('reports.ui.no_data'),
    cells: cells.map((c) => ({ weekday: c.weekday, hour: c.hour, value: c.conversations })),
    rowLabels: weekdays,
    format: num,
  });
  const rows = [...cells].sort((a, b) => a.weekday - b.weekday || a.hour - b.hour).map((c) => [
    `${weekdays[c.weekday]} ${c.hour}:00`, num(c.conversations), num(c.missed),
    dur(c.wait_n ? c.wait_sum / c.wait_n : null)]);
  fig.appendChild(dataTable(t('reports.chart.heatmap'),
    [t('reports.ui.slot'), t('reports.col.conversations'), t('reports.col.missed'), t('reports.metric.wait_avg')],
    rows, { label: t('reports.ui.see_data') }));
}

function renderWait(dist) {
  const labels = dist.limits.map((s) => `≤ ${formatDuration(s)}`).concat([`> ${formatDuration(dist.limits[dist.limits.length - 1])}`]);
  const fig = $('#chart-wait');
  barChart(fig, {
    title: t('reports.chart.wait'), summary: t('reports.ui.wait_summary'), labels,
    series: [{ name: t('reports.col.conversations'), values: dist.counts, color: COLORS.wait }], format: num,
  });
  fig.appendChild(dataTable(t('reports.chart.wait'), [t('reports.metric.wait_avg'), t('reports.col.conversations')],
    labels.map((l, i) => [l, num(dist.counts[i])]), { label: t('reports.ui.see_data') }));
}

function renderSatisfaction(f) {
  const labels = [1, 2, 3, 4, 5].map((n) => t('reports.stars', { n }));
  const fig = $('#chart-satisfaction');
  barChart(fig, {
    title: t('reports.chart.satisfaction'),
    summary: t('reports.ui.sat_summary', { n: f.rated, avg: sat(f.satisfaction_avg) }),
    labels, series: [{ name: t('reports.series.ratings'), values: f.satisfaction_dist, color: COLORS.ratings }], format: num,
  });
  fig.appendChild(dataTable(t('reports.chart.satisfaction'), [t('reports.col.rating'), t('reports.series.ratings')],
    labels.map((l, i) => [l, num(f.satisfaction_dist[i])]), { label: t('reports.ui.see_data') }));
}

function renderBreakdown(table, rows, key, label) {
  clear(table);
  const cols = ['conversations', 'attended', 'assistant_only', 'missed', 'first_response_within_share', 'handling_avg', 'satisfaction_avg', 'resolved_share'];
  table.appendChild(el('thead', null, el('tr', null,
    el('th', { scope: 'col' }, t(`reports.col.${key}`)), cols.map((c) => el('th', { scope: 'col' }, t(`reports.col.${c}`))))));
  const body = el('tbody');
  if (!rows.length) body.appendChild(el('tr', null, el('td', { colspan: String(cols.length + 1), class: 'empty' }, t('reports.ui.no_data'))));
  for (const r of rows) {
    body.appendChild(el('tr', null, el('th', { scope: 'row' }, label(r.key)),
      el('td', null, num(r.conversations)), el('td', null, num(r.attended)), el('td', null, num(r.assistant_only)),
      el('td', null, num(r.missed)), el('td', null, pct(r.first_response_within_share)), el('td', null, dur(r.handling_avg)),
      el('td', null, sat(r.satisfaction_avg)), el('td', null, pct(r.resolved_share))));
  }
  table.appendChild(body);
}

function renderAgents(agents) {
  const table = $('#table-agents');
  clear(table);
  const cols = ['attended', 'first_response_within_share', 'response_avg', 'handling_avg', 'satisfaction_avg', 'resolved_share', 'available_hours', 'concurrent_load', 'score'];
  table.appendChild(el('thead', null, el('tr', null, el('th', { scope: 'col' }, t('reports.col.name')),
    cols.map((c) => el('th', { scope: 'col' }, t(`reports.col.${c}`))))));
  const body = el('tbody');
  if (!agents.length) body.appendChild(el('tr', null, el('td', { colspan: String(cols.length + 1), class: 'empty' }, t('reports.ui.no_data'))));
  for (const a of agents) {
    body.appendChild(el('tr', { dataset: { agentId: String(a.agent_id) } }, el('th', { scope: 'row' }, a.name),
      el('td', null, num(a.attended)), el('td', null, pct(a.first_response_within_share)), el('td', null, dur(a.response_avg)),
      el('td', null, dur(a.handling_avg)), el('td', null, sat(a.satisfaction_avg)), el('td', null, pct(a.resolved_share)),
      el('td', null, num(a.available_seconds / 3600)), el('td', null, num(a.concurrent_load)), el('td', null, num(a.score))));
  }
  table.appendChild(body);
}

function renderCases(rows) {
  const table = $('#table-cases');
  if (!table) return;
  clear(table);
  const cols = ['answered', 'on_time', 'overdue_open', 'on_time_share'];
  table.appendChild(el('thead', null, el('tr', null, el('th', { scope: 'col' }, t('reports.col.case_type')),
    cols.map((c) => el('th', { scope: 'col' }, t(`reports.col.${c}`))))));
  const body = el('tbody');
  if (!rows.length) body.appendChild(el('tr', null, el('td', { colspan: '5', class: 'empty' }, t('reports.ui.no_data'))));
  for (const r of rows) {
    body.appendChild(el('tr', null, el('th', { scope: 'row' }, r.label), el('td', null, num(r.answered)),
      el('td', null, num(r.on_time)), el('td', null, num(r.overdue_open)), el('td', null, pct(r.rate))));
  }
  table.appendChild(body);
}

const TARGET_FIELDS = [
  ['wait_seconds', 1], ['first_response_seconds', 1], ['offline_response_hours', 1], ['first_response_share', 0.01],
  ['missed_share', 0.01], ['satisfaction', 0.1], ['resolved_share', 0.01], ['weight_satisfaction', 0.05],
  ['weight_first_response', 0.05], ['weight_missed', 0.05], ['weight_resolution', 0.05], ['service_level', 0.01],
  ['cases_on_time_share', 0.01], ['min_ratings', 1],
];

function renderTargets(targets) {
  const box = $('#targets-fields');
  if (!box || box.childElementCount) return;
  const editable = role === 'admin';
  for (const [name, step] of TARGET_FIELDS) {
    const id = `tg-${name}`;
    box.appendChild(el('div', { class: 'field' },
      el('label', { for: id }, t(`reports.target.${name}`)),
      el('input', { id, name, type: 'number', step: String(step), value: String(targets[name]), readOnly: !editable, 'aria-describedby': `${id}-error` }),
      el('p', { class: 'field-error', id: `${id}-error`, hidden: true })));
  }
  const id = 'tg-daily_summary';
  box.appendChild(el('div', { class: 'field check-field' },
    el('input', { id, name: 'daily_summary', type: 'checkbox', checked: Boolean(targets.daily_summary), disabled: !editable }),
    el('label', { for: id }, t('reports.target.daily_summary'))));
}

async function saveTargets(event) {
  event.preventDefault();
  const f = event.target;
  const data = {};
  for (const [name] of TARGET_FIELDS) data[name] = Number(f.elements[name].value);
  data.daily_summary = f.elements.daily_summary.checked;
  for (const p of f.querySelectorAll('.field-error')) p.hidden = true;
  for (const input of f.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  try {
    await api.put('/api/reports/targets', data);
    await load({ quiet: true });
    announce(t('reports.ui.targets_saved'));
  } catch (err) {
    const input = err.field && f.elements[err.field];
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      const p = document.getElementById(`${input.id}-error`);
      p.textContent = err.message;
      p.hidden = false;
      input.focus();
    }
    announce(err.message, { error: true });
  }
}

form.elements.preset.addEventListener('change', () => applyPreset(form.elements.preset.value));
for (const name of ['start', 'end']) {
  form.elements[name].addEventListener('change', () => { form.elements.preset.value = 'custom'; });
}
form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
const targetsForm = $('#targets-form');
if (targetsForm && role === 'admin') targetsForm.addEventListener('submit', saveTargets);
applyPreset('this_month');
load();
