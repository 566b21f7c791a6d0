// Conversation history (/console/history): filters, paged results and the full
// transcript (notes and classification included) of the selected conversation.

import { api } from './api.js';
import { formatDateTime, has, t } from './i18n.js';
import './shell.js';
import { eventNode, requestTypeLabel } from './transcript.js';
import { $, announce, clear, el, linkOrText } from './ui.js';

const FILTERS = ['q', 'email', 'date_from', 'date_to', 'agent_id', 'request_type', 'rating', 'resolved'];
const form = $('#history-filters');
const body = $('#history-body');
const detail = $('#history-detail');
const agentNames = new Map();
let ratings = {}; // conversation id -> {score, resolved, comment} of the page shown
let page = 1;
let selectedId = null;
let lastRequest = null;

function readFilters() {
  const data = new FormData(form);
  const query = {};
  for (const name of FILTERS) {
    const value = String(data.get(name) || '').trim();
    if (value) query[name] = value;
  }
  return query;
}

function writeFilters(params) {
  for (const name of FILTERS) {
    const control = form.elements.namedItem(name);
    if (control && params.has(name)) control.value = params.get(name);
  }
}

/** Keep the filters in the address so the view can be reloaded or shared. */
function syncUrl(query) {
  const params = new URLSearchParams(query);
  if (page > 1) params.set('page', String(page));
  if (selectedId) params.set('id', selectedId);
  const qs = params.toString();
  history.replaceState(null, '', qs ? `${location.pathname}?${qs}` : location.pathname);
}

async function loadAgents() {
  try {
    const agents = await api.get('/api/agent/agents');
    const select = $('#f-agent');
    const wanted = new URLSearchParams(location.search).get('agent_id');
    for (const a of agents || []) {
      agentNames.set(String(a.id), a.display_name);
      select.appendChild(el('option', { value: String(a.id) }, a.display_name || String(a.id)));
    }
    if (wanted) select.value = wanted;
  } catch (err) {
    announce(err.message, { error: true });
  }
}

function statusText(s) {
  const key = `console.status.${s.status}`;
  return has(key) ? t(key) : String(s.status || '');
}

async function search() {
  const query = readFilters();
  if (lastRequest) lastRequest.abort();
  lastRequest = new AbortController();
  const countNode = $('#history-count');
  countNode.textContent = t('console.common.loading');
  body.setAttribute('aria-busy', 'true');
  let result;
  try {
    result = await api.get('/api/agent/history', { ...query, page }, { signal: lastRequest.signal });
  } catch (err) {
    if (err.name === 'AbortError') return;
    countNode.textContent = '';
    announce(err.message, { error: true });
    return;
  } finally {
    body.removeAttribute('aria-busy');
  }
  syncUrl(query);
  renderResults(result || {});
}

function renderResults(result) {
  const items = Array.isArray(result.items) ? result.items : [];
  const total = Number(result.total) || 0;
  const size = Number(result.page_size) || items.length || 1;
  const pages = Math.max(1, Math.ceil(total / size));
  ratings = result.ratings && typeof result.ratings === 'object' ? result.ratings : {};
  clear(body);
  for (const s of items) body.appendChild(rowNode(s));
  if (!items.length) {
    body.appendChild(el('tr', null, el('td', { colspan: '7', class: 'empty' }, t('console.history.no_results'))));
  }
  $('#history-count').textContent = t('console.history.count', { total });
  $('#page-info').textContent = t('console.history.page', { page, pages });
  $('#page-prev').disabled = page <= 1;
  $('#page-next').disabled = page >= pages;
}

function rowNode(s) {
  const name = s.citizen_name || t('console.common.anonymous');
  const row = el('tr', {
    dataset: { testid: 'history-row', conversationId: s.id },
    'aria-current': s.id === selectedId ? 'true' : null,
    onclick: (ev) => {
      if (!ev.target.closest('button')) open(s.id);
    },
  },
  el('td', null,
    el('button', { type: 'button', class: 'link-button', onclick: () => open(s.id) }, name),
    s.citizen_email ? el('span', { class: 'cell-sub' }, s.citizen_email) : null),
  el('td', null, el('time', { datetime: s.created_at || '' }, formatDateTime(s.created_at))),
  el('td', null, s.request_type_label || requestTypeLabel(s.request_type)),
  el('td', null, s.agent_name || t('console.common.none')),
  el('td', null, el('span', { class: `pill pill-${s.status}` }, statusText(s))),
  el('td', null, s.topic || ''),
  el('td', { class: 'rating-cell' }, ratingText(ratings[s.id])));
  return row;
}

function ratingText(r) {
  if (!r) return t('console.common.none');
  const resolved = t(r.resolved ? 'console.history.rating_resolved' : 'console.history.rating_unresolved');
  return `${t('console.history.rating_value', { score: r.score })} · ${resolved}`;
}

function metaRow(label, value) {
  const dd = el('dd');
  if (value instanceof Node) dd.appendChild(value);
  else dd.textContent = value || t('console.common.none');
  return [el('dt', null, label), dd];
}

async function open(id) {
  selectedId = id;
  for (const row of body.querySelectorAll('tr[data-conversation-id]')) {
    if (row.dataset.conversationId === id) row.setAttribute('aria-current', 'true');
    else row.removeAttribute('aria-current');
  }
  detail.hidden = false;
  $('#history-layout').classList.add('has-detail');
  const title = $('#detail-title');
  title.textContent = t('console.common.loading');
  const transcript = clear($('#detail-transcript'));
  clear($('#detail-meta'));
  let data;
  try {
    data = await api.get(`/api/agent/conversations/${encodeURIComponent(id)}`);
  } catch (err) {
    title.textContent = t('console.history.detail_error');
    announce(err.message, { error: true });
    return;
  }
  if (selectedId !== id) return;
  const s = data.conversation || {};
  title.textContent = t('console.history.detail_title', { name: s.citizen_name || t('console.common.anonymous') });
  const byKey = `console.history.closed_by.${s.closed_by}`;
  const by = s.closed_by ? (has(byKey) ? t(byKey) : String(s.closed_by)) : '';
  $('#detail-meta').append(
    ...metaRow(t('console.details.email'), s.citizen_email),
    ...metaRow(t('console.details.request_type'), s.request_type_label || requestTypeLabel(s.request_type)),
    ...metaRow(t('console.history.topic'), s.topic),
    ...metaRow(t('console.history.col.status'), statusText(s) + (by ? ` — ${by}` : '')),
    ...metaRow(t('console.history.col.agent'), s.agent_name),
    ...metaRow(t('console.details.page'), linkOrText(s.page_url)),
    ...metaRow(t('console.details.started_at'), formatDateTime(s.created_at)),
    ...metaRow(t('console.history.closed_at'), formatDateTime(s.closed_at)),
    ...metaRow(t('console.history.col.rating'), ratings[id] ? ratingText(ratings[id]) : ''),
  );
  if (ratings[id] && ratings[id].comment) {
    $('#detail-meta').append(...metaRow(t('console.history.rating_comment'), ratings[id].comment));
  }
  for (const ev of data.events || []) {
    transcript.appendChild(eventNode(ev, { citizenSeenSeq: s.citizen_seen_seq || 0 }));
  }
  if (!(data.events || []).length) transcript.appendChild(el('p', { class: 'hint' }, t('console.history.no_events')));
  syncUrl(readFilters());
  title.focus();
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  page = 1;
  search();
});
form.addEventListener('reset', () => {
  setTimeout(() => {
    page = 1;
    search();
  }, 0);
});
$('#page-prev').addEventListener('click', () => {
  if (page > 1) {
    page -= 1;
    search();
  }
});
$('#page-next').addEventListener('click', () => {
  page += 1;
  search();
});
$('#detail-close').addEventListener('click', () => {
  const id = selectedId;
  selectedId = null;
  detail.hidden = true;
  $('#history-layout').classList.remove('has-detail');
  syncUrl(readFilters());
  const row = id && body.querySelector(`tr[data-conversation-id="${CSS.escape(id)}"]`);
  if (row) {
    row.removeAttribute('aria-current');
    row.querySelector('button')?.focus();
  }
});

const initial = new URLSearchParams(location.search);
writeFilters(initial);
page = Math.max(1, Number(initial.get('page')) || 1);
loadAgents();
search();
if (initial.get('id')) open(initial.get('id'));
