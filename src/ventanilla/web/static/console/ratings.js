// Ratings (/console/ratings): an agent's own figures and recent comments; supervisors see
// everyone's, per agent, and may pick one agent. Every figure is text in a table.

import { api } from './api.js';
import { formatDateTime, t } from './i18n.js';
import './shell.js';
import { $, announce, clear, el } from './ui.js';

const form = $('#ratings-filters');
const supervising = form.dataset.supervising === 'yes';
const pct = new Intl.NumberFormat(document.documentElement.lang || 'es-CO', { style: 'percent', maximumFractionDigits: 0 });
const dec = new Intl.NumberFormat(document.documentElement.lang || 'es-CO', { minimumFractionDigits: 1, maximumFractionDigits: 2 });

const scoreText = (s) => t('console.ratings.score_value', { score: s, label: t(`satisfaction.score.${s}`) });
const yesNo = (v) => t(v ? 'console.ratings.yes' : 'console.ratings.no');
const average = (v) => (v == null ? t('console.common.none') : t('console.ratings.average_value', { value: dec.format(v) }));
const share = (v) => (v == null ? t('console.common.none') : pct.format(v));

function query() {
  const data = new FormData(form);
  const q = { days: data.get('days') || '30' };
  if (supervising && data.get('agent_id')) q.agent_id = data.get('agent_id');
  return q;
}

function emptyRow(tbody, cols, text) {
  tbody.appendChild(el('tr', null, el('td', { colspan: String(cols), class: 'empty' }, text)));
}

function renderSummary(s) {
  $('#r-count').textContent = String(s.count);
  $('#r-average').textContent = average(s.average);
  $('#r-resolved').textContent = s.count
    ? t('console.ratings.resolved_value', { share: share(s.resolved_share), n: s.resolved })
    : t('console.common.none');
  $('#r-tiles').removeAttribute('aria-busy');
  const body = clear($('#r-dist'));
  for (let score = 5; score >= 1; score -= 1) {
    const n = Number((s.distribution || {})[score] || 0);
    const part = s.count ? n / s.count : 0;
    const bar = el('span', { class: 'rt-bar', 'aria-hidden': 'true' });
    bar.style.setProperty('--w', `${Math.round(part * 100)}%`);
    body.appendChild(el('tr', { dataset: { score: String(score) } },
      el('th', { scope: 'row' }, scoreText(score)),
      el('td', null, String(n)),
      el('td', null, el('span', { class: 'rt-share' }, bar, el('span', null, pct.format(part))))));
  }
}

function renderRecent(items) {
  const body = clear($('#r-recent'));
  for (const r of items) {
    body.appendChild(el('tr', { dataset: { testid: 'rating-row' } },
      el('td', null, el('time', { datetime: r.created_at }, formatDateTime(r.created_at))),
      el('td', null, scoreText(r.score)),
      el('td', null, yesNo(r.resolved)),
      el('td', { class: 'pre' }, r.comment || ''),
      supervising ? el('td', null, r.agent_name || t('console.common.none')) : null,
      el('td', null, el('a', { href: `/console/history?id=${encodeURIComponent(r.conversation_id)}` }, r.request_type_label))));
  }
  if (!items.length) emptyRow(body, supervising ? 6 : 5, t('console.ratings.no_comments'));
}

function renderAgents(rows) {
  const body = clear($('#r-agents'));
  for (const a of rows) {
    body.appendChild(el('tr', null,
      el('th', { scope: 'row' }, el('button', {
        type: 'button',
        class: 'link-button',
        onclick: () => {
          $('#r-agent').value = String(a.agent_id);
          load();
        },
      }, a.agent_name)),
      el('td', null, String(a.count)),
      el('td', null, average(a.average)),
      el('td', null, share(a.resolved_share))));
  }
  if (!rows.length) emptyRow(body, 4, t('console.ratings.no_agents'));
}

async function loadAgentsSelect() {
  try {
    const agents = await api.get('/api/agent/agents');
    const select = $('#r-agent');
    for (const a of agents || []) select.appendChild(el('option', { value: String(a.id) }, a.display_name));
  } catch (err) {
    announce(err.message, { error: true });
  }
}

async function load() {
  const q = query();
  $('#r-tiles').setAttribute('aria-busy', 'true');
  try {
    const view = await api.get('/api/agent/ratings', q);
    renderSummary(view.summary || { count: 0, distribution: {} });
    renderRecent(view.recent || []);
    if (supervising) renderAgents(await api.get('/api/agent/ratings/agents', { days: q.days }));
  } catch (err) {
    announce(err.message, { error: true });
  }
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  load();
});
if (supervising) loadAgentsSelect();
load();
