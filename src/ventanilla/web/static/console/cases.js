// PQRSD cases (/console/cases): the lists with their counters and filters, and a case's detail
// with its history, the constancia, the answer's delivery proof and the steps allowed now.
import { api } from './api.js';
import { formatDateTime, t } from './i18n.js';
import './shell.js';
import { $, $$, announce, clear, clearFieldErrors, el, showFieldError } from './ui.js';
import { formatDay } from './cases_format.js';

const rows = $('#case-rows');
const detail = $('#case-detail');
const typeFilter = $('#case-type-filter');
const search = $('#case-search');
const state = { view: 'due_soon', types: {}, today: '', current: null };
let timer = null;

const ACTIONS = {
  answer: [{ name: 'answer', kind: 'textarea', rows: 6, max: 20000 }],
  extend: [{ name: 'new_due', kind: 'date' }, { name: 'reason', kind: 'textarea', rows: 3, max: 2000 }],
  hold: [{ name: 'request', kind: 'textarea', rows: 3, max: 4000 }],
  complete: [{ name: 'completed_on', kind: 'date', optional: true }, { name: 'note', kind: 'text', max: 2000 }],
  withdraw: [{ name: 'note', kind: 'text', max: 2000 }],
  forward: [{ name: 'competent_entity', kind: 'text', max: 200 }, { name: 'note', kind: 'text', max: 2000 }],
};

function typeLabel(code) {
  return (state.types[code] && state.types[code].label) || code;
}

function statusLabel(status) {
  return t(`console.cases.state.${status}`);
}

function dueText(item) {
  if (item.status === 'on_hold') return t('console.cases.clock_stopped');
  if (!item.due_date) return '';
  const running = item.status === 'filed' || item.status === 'extended';
  if (running && item.due_date < state.today) return t('console.cases.overdue_since', { due: formatDay(item.due_date) });
  return formatDay(item.due_date);
}

async function loadTypes() {
  try {
    const data = await api.get('/api/agent/case-types');
    for (const type of data.types) {
      state.types[type.code] = type;
      typeFilter.appendChild(el('option', { value: type.code }, type.label));
    }
  } catch (err) {
    announce(err.message, { error: true });
  }
}

function showCounters(counters) {
  for (const node of $$('[data-count]')) node.textContent = String(counters[node.dataset.count] || 0);
  document.dispatchEvent(new CustomEvent('vt-cases-changed', { detail: counters }));
}

async function loadList() {
  for (const button of $$('.case-view')) button.setAttribute('aria-pressed', String(button.dataset.view === state.view));
  let data;
  try {
    data = await api.get('/api/agent/cases', { view: state.view, type: typeFilter.value, q: search.value.trim() });
  } catch (err) {
    announce(err.message, { error: true });
    return;
  }
  state.today = data.today;
  showCounters(data.counters);
  clear(rows);
  for (const item of data.items) rows.appendChild(rowNode(item));
  if (!data.items.length) rows.appendChild(el('tr', null, el('td', { colspan: '5', class: 'empty' }, t('console.cases.empty'))));
  $('#case-list-hint').textContent = t('console.cases.count', {
    n: data.items.length, view: t(`console.cases.view.${state.view}`), soon: formatDay(data.due_soon_until),
  });
}

function rowNode(item) {
  const overdue = (item.status === 'filed' || item.status === 'extended') && item.due_date && item.due_date < state.today;
  return el('tr', { dataset: { testid: 'case-row', number: item.number }, class: overdue ? 'row-overdue' : '' },
    el('td', null, el('a', {
      href: `#${encodeURIComponent(item.number)}`,
      dataset: { testid: 'case-open' },
      'aria-current': state.current === item.number ? 'true' : null,
    }, item.number)),
    el('td', null, typeLabel(item.type)),
    el('td', null, item.petitioner_name),
    el('td', null, statusLabel(item.status)),
    el('td', null, dueText(item)));
}

function fact(list, label, value, testid) {
  if (value === null || value === undefined || value === '') return;
  list.appendChild(el('dt', null, label));
  list.appendChild(el('dd', testid ? { dataset: { testid } } : null, value));
}

function proofText(proof) {
  if (!proof) return t('console.cases.no_email');
  if (proof.status === 'sent') {
    return t('console.cases.proof_sent', {
      to: proof.to_address, at: formatDateTime(proof.sent_at), id: proof.message_id, response: proof.server_response || '-',
    });
  }
  if (proof.status === 'failed') return t('console.cases.proof_failed', { to: proof.to_address, error: proof.last_error });
  return t('console.cases.proof_pending', { to: proof.to_address, attempts: proof.attempts });
}

function eventNode(ev) {
  const parts = [
    el('strong', null, t(`console.cases.event.${ev.kind}`)),
    ' · ', el('time', { datetime: ev.at }, formatDateTime(ev.at)),
    ev.actor_name ? ` · ${ev.actor_name}` : '',
  ];
  const data = ev.data || {};
  if (data.due_date) parts.push(el('br'), t('console.cases.event_due', { due: formatDay(data.due_date) }));
  if (data.competent_entity) parts.push(el('br'), t('console.cases.event_competent', { entity: data.competent_entity }));
  if (data.completed_on) parts.push(el('br'), t('console.cases.event_completed_on', { date: formatDay(data.completed_on) }));
  if (typeof data.on_time === 'boolean') parts.push(el('br'), t(data.on_time ? 'console.cases.on_time' : 'console.cases.late'));
  if (ev.note) parts.push(el('br'), el('span', { class: 'cell-body' }, ev.note));
  if (ev.email) parts.push(el('br'), el('span', { class: 'hint' }, proofText(ev.email)));
  return el('li', { dataset: { testid: 'case-event', kind: ev.kind } }, ...parts);
}

function fieldNode(action, spec) {
  const id = `act-${action}-${spec.name}`;
  const label = t(`console.cases.field.${spec.name}`) + (spec.optional ? ` ${t('console.cases.optional')}` : '');
  const attrs = { id, name: spec.name, dataset: { testid: `case-${action}-${spec.name}` }, 'aria-describedby': `${id}-error` };
  if (spec.max) attrs.maxlength = String(spec.max);
  if (!spec.optional && spec.kind !== 'date') attrs.required = true;
  let control;
  if (spec.kind === 'textarea') control = el('textarea', { ...attrs, rows: String(spec.rows || 3) });
  else control = el('input', { ...attrs, type: spec.kind === 'date' ? 'date' : 'text', autocomplete: 'off' });
  return el('div', { class: 'field' },
    el('label', { for: id }, label),
    control,
    el('p', { class: 'field-error', id: `${id}-error`, dataset: { errorFor: spec.name, control: id }, hidden: true }));
}

function actionNode(action, number) {
  const form = el('form', { class: 'form-stack', novalidate: true, dataset: { action } },
    el('p', { class: 'field-error', dataset: { errorFor: '_form' }, role: 'alert', hidden: true }),
    ...ACTIONS[action].map((spec) => fieldNode(action, spec)),
    el('button', { type: 'submit', class: 'btn btn-primary', dataset: { testid: `case-${action}-submit` } },
      t(`console.cases.do.${action}`)));
  form.addEventListener('submit', (ev) => submitAction(ev, action, number));
  const box = el('details', { class: 'case-action', dataset: { testid: `case-action-${action}` } },
    el('summary', null, t(`console.cases.action.${action}`)), form);
  if (action === 'answer') box.open = true;
  return box;
}

async function submitAction(ev, action, number) {
  ev.preventDefault();
  const form = ev.currentTarget;
  clearFieldErrors(form);
  const body = {};
  for (const spec of ACTIONS[action]) {
    const value = form.elements[spec.name].value.trim();
    if (value || !spec.optional) body[spec.name] = value || (spec.kind === 'date' ? null : '');
  }
  const submit = form.querySelector('[type="submit"]');
  submit.disabled = true;
  try {
    const data = await api.post(`/api/agent/cases/${encodeURIComponent(number)}/${action}`, body);
    renderDetail(data);
    announce(t(`console.cases.done.${action}`, { number }));
    await loadList();
    $('#case-detail-title').focus();
  } catch (err) {
    showFieldError(form, err);
  } finally {
    submit.disabled = false;
  }
}

function renderDetail(data) {
  const c = data.case;
  state.current = c.number;
  detail.hidden = false;
  $('#case-detail-title').textContent = `${c.number} · ${data.type_label}`;
  $('#case-detail-title').setAttribute('tabindex', '-1');
  const facts = $('#case-facts');
  clear(facts);
  fact(facts, t('console.cases.status'), statusLabel(c.status), 'case-status');
  fact(facts, t('console.cases.petitioner'), `${c.petitioner_name} <${c.petitioner_email}>`);
  fact(facts, t('console.cases.filed'), `${formatDateTime(c.filed_at)} · ${c.received_by_name}`);
  fact(facts, t('console.cases.due'), dueText(c), 'case-due');
  fact(facts, t('console.cases.term'), t('console.cases.term_days', { n: c.term_days }));
  fact(facts, t('console.cases.area'), c.area);
  fact(facts, t('console.cases.subject'), c.subject);
  fact(facts, t('console.cases.reasons'), c.reasons);
  if (c.extended) fact(facts, t('console.cases.extension'), c.extension_reason);
  if (c.status === 'filed' && data.forward_by) fact(facts, t('console.cases.forward_by'), formatDay(data.forward_by), 'case-forward-by');
  fact(facts, t('console.cases.hold_request_by'), formatDay(data.hold_request_by));
  fact(facts, t('console.cases.extension_limit'), formatDay(data.extension_limit));
  fact(facts, t('console.cases.withdraw_from'), formatDay(data.withdraw_from));
  if (c.status === 'on_hold') {
    fact(facts, t('console.cases.citizen_reply'), data.citizen_replied_at
      ? t('console.cases.citizen_replied', { at: formatDateTime(data.citizen_replied_at) })
      : t('console.cases.citizen_not_replied'), 'case-citizen-reply');
  }
  if (c.competent_entity) {
    fact(facts, t('console.cases.competent'), t('console.cases.competent_detail', {
      entity: c.competent_entity, due: formatDay(c.forward_due),
    }));
  }
  if (c.answered_at) {
    fact(facts, t('console.cases.answered'), t(c.answered_on_time ? 'console.cases.answered_on_time' : 'console.cases.answered_late', {
      at: formatDateTime(c.answered_at), name: c.answered_by_name,
    }), 'case-answered');
    fact(facts, t('console.cases.answer'), c.answer);
  }
  const actions = $('#case-actions');
  clear(actions);
  for (const action of data.allowed) actions.appendChild(actionNode(action, c.number));
  if (!data.allowed.length) actions.appendChild(el('p', { class: 'hint' }, t('console.cases.final')));
  const proof = $('#case-proof');
  clear(proof);
  proof.appendChild(el('p', null, c.answered_at ? proofText(data.answer_email) : t('console.cases.not_answered')));
  const history = $('#case-history');
  clear(history);
  for (const ev of data.events) history.appendChild(eventNode(ev));
  $('#case-constancia').textContent = c.constancia;
  for (const link of $$('[data-testid="case-open"]')) {
    link.setAttribute('aria-current', String(link.textContent === c.number));
  }
}

async function openCase(number) {
  if (!number) return;
  try {
    renderDetail(await api.get(`/api/agent/cases/${encodeURIComponent(number)}`));
    $('#case-detail-title').focus();
  } catch (err) {
    announce(err.message, { error: true });
  }
}

function fromHash() {
  const number = decodeURIComponent(window.location.hash.slice(1));
  if (number) openCase(number);
}

for (const button of $$('.case-view')) {
  button.addEventListener('click', () => {
    state.view = button.dataset.view;
    loadList();
  });
}
typeFilter.addEventListener('change', loadList);
search.addEventListener('input', () => {
  clearTimeout(timer);
  timer = setTimeout(loadList, 250);
});
window.addEventListener('hashchange', fromHash);

await loadTypes();
await loadList();
fromHash();
