// Knowledge base (/console/kb): supervisors and admins search, create, edit and deactivate
// entries, see each entry's history, and review what the assistant could not answer.

import { api } from './api.js';
import { formatDateTime, t } from './i18n.js';
import './shell.js';
import { $, announce, clear, clearFieldErrors, el, openDialog, showFieldError } from './ui.js';

const tbody = $('#kb-body');
const search = $('#kb-search');
let editing = null;
let timer = null;

async function load() {
  let items = [];
  try {
    const data = await api.get('/api/kb/entries', { q: search.value.trim() });
    items = Array.isArray(data) ? data : [];
  } catch (err) {
    announce(err.message, { error: true });
  }
  clear(tbody);
  for (const item of items) tbody.appendChild(rowNode(item));
  if (!items.length) tbody.appendChild(el('tr', null, el('td', { colspan: '5', class: 'empty' }, t('console.kb.empty'))));
  $('#kb-count').textContent = t('console.kb.count', { n: items.length });
}

function rowNode(item) {
  const state = item.active ? '' : ` (${t('console.kb.inactive')})`;
  return el('tr', { dataset: { testid: 'kb-row', entryId: item.id, active: String(item.active) } },
    el('td', null, el('strong', null, item.question + state), el('br'), el('code', null, item.id)),
    el('td', null, item.category || ''),
    el('td', { class: 'cell-body' }, item.answer || ''),
    el('td', null,
      el('button', { type: 'button', class: 'btn-link', onclick: () => showHistory(item) },
        t('console.kb.version', { n: item.version })),
      el('br'),
      t('console.kb.updated', { name: item.updated_by_name || '-', at: formatDateTime(item.updated_at) })),
    el('td', { class: 'cell-actions' },
      el('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'kb-edit' }, onclick: () => openEditor(item) },
        t('console.kb.edit')),
      item.active ? el('button', {
        type: 'button', class: 'btn btn-small btn-danger', dataset: { testid: 'kb-deactivate' },
        onclick: () => deactivate(item),
      }, t('console.kb.deactivate')) : null));
}

function openEditor(item, question = '') {
  editing = item;
  const form = $('#kb-form');
  clearFieldErrors(form);
  $('#kb-dialog-title').textContent = item ? item.question : t('console.kb.new');
  form.elements.id.value = item ? item.id : '';
  form.elements.id.disabled = Boolean(item);
  form.elements.question.value = item ? item.question : question;
  form.elements.alternatives.value = item ? (item.alternatives || []).join('\n') : '';
  form.elements.answer.value = item ? item.answer : '';
  form.elements.category.value = item ? item.category || '' : '';
  form.elements.active.checked = item ? item.active : true;
  openDialog($('#kb-dialog'), form.elements.question);
}

async function save(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const payload = {
    question: form.elements.question.value.trim(),
    answer: form.elements.answer.value.trim(),
    category: form.elements.category.value.trim(),
    alternatives: form.elements.alternatives.value.split('\n').map((s) => s.trim()).filter(Boolean),
    active: form.elements.active.checked,
  };
  if (!editing && form.elements.id.value.trim()) payload.id = form.elements.id.value.trim();
  const submit = form.querySelector('[type="submit"]');
  submit.disabled = true;
  try {
    if (editing) await api.put(`/api/kb/entries/${encodeURIComponent(editing.id)}`, payload);
    else await api.post('/api/kb/entries', payload);
    $('#kb-dialog').close();
    announce(t('console.kb.saved'));
    await load();
  } catch (err) {
    if (!err.field && err.code === 'kb_id_taken') err.field = 'id';
    showFieldError(form, err);
  } finally {
    submit.disabled = false;
  }
}

async function deactivate(item) {
  try {
    await api.post(`/api/kb/entries/${encodeURIComponent(item.id)}/deactivate`);
    announce(t('console.kb.deactivated'));
    await load();
    search.focus();
  } catch (err) {
    announce(err.message, { error: true });
  }
}

async function showHistory(item) {
  const list = $('#kb-history-list');
  clear(list);
  $('#kb-history-title').textContent = `${t('console.kb.history')}: ${item.question}`;
  try {
    const data = await api.get(`/api/kb/entries/${encodeURIComponent(item.id)}`);
    for (const change of data.history || []) {
      list.appendChild(el('li', { dataset: { testid: 'kb-change' } },
        t('console.kb.history_row', {
          at: formatDateTime(change.at),
          action: t(`console.kb.action.${change.action}`),
          actor: change.actor || '-',
        })));
    }
  } catch (err) {
    announce(err.message, { error: true });
  }
  openDialog($('#kb-history'), $('#kb-history [data-close]'));
}

async function loadUnanswered() {
  const list = $('#kb-unanswered');
  clear(list);
  let groups = [];
  let entries = [];
  try {
    [groups, entries] = await Promise.all([api.get('/api/kb/unanswered'), api.get('/api/kb/entries')]);
  } catch (err) {
    announce(err.message, { error: true });
  }
  if (!groups.length) list.appendChild(el('li', { class: 'empty' }, t('console.kb.unanswered_empty')));
  const active = (Array.isArray(entries) ? entries : []).filter((e) => e.active);
  groups.forEach((g, n) => {
    list.appendChild(el('li', { dataset: { testid: 'kb-unanswered-group' } },
      el('strong', null, g.example), ' ',
      el('span', { class: 'hint' }, t('console.kb.unanswered_group', { n: g.count })),
      g.questions.length > 1 ? el('ul', null, ...g.questions.slice(1, 6).map((q) => el('li', null, q))) : null,
      el('button', { type: 'button', class: 'btn btn-small', onclick: () => openEditor(null, g.example) },
        t('console.kb.use_as_new')),
      teachForm(g, n, active)));
  });
}

// Label a group: the entry that answers it, or none (not for the assistant). Its questions
// become examples of the assistant at once and leave the list (kb/teaching.py).
function teachForm(group, n, entries) {
  const id = `kb-teach-${n}`;
  const select = el('select', { id, name: 'entry_id', required: true, dataset: { testid: 'kb-teach-entry' } },
    el('option', { value: '' }, t('console.kb.teach_pick')),
    el('option', { value: '__none__' }, t('console.kb.teach_none')),
    ...entries.map((e) => el('option', { value: e.id }, `${e.question} (${e.id})`)));
  async function submit(event) {
    event.preventDefault();
    if (!select.value) {
      select.focus();
      return;
    }
    const entryId = select.value === '__none__' ? null : select.value;
    try {
      const done = await api.post('/api/kb/unanswered/teach', { ids: group.ids, entry_id: entryId });
      announce(t('console.kb.taught', { n: done.taught }));
      await loadUnanswered();
    } catch (err) {
      announce(err.message, { error: true });
    }
  }
  return el('form', { class: 'kb-teach', onsubmit: submit },
    el('label', { for: id }, t('console.kb.teach_label')), ' ', select, ' ',
    el('button', { type: 'submit', class: 'btn btn-small', dataset: { testid: 'kb-teach' } }, t('console.kb.teach')));
}

search.addEventListener('input', () => {
  clearTimeout(timer);
  timer = setTimeout(load, 250);
});
$('#kb-new').addEventListener('click', () => openEditor(null));
$('#kb-form').addEventListener('submit', save);
for (const button of document.querySelectorAll('dialog [data-close]')) {
  button.addEventListener('click', () => button.closest('dialog').close());
}
load();
loadUnanswered();
