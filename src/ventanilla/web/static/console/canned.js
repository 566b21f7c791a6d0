// Canned responses (/console/canned): everyone reads them; supervisors and
// admins create, edit and delete them.

import { api } from './api.js';
import { t } from './i18n.js';
import './shell.js';
import { $, announce, clear, clearFieldErrors, el, hasRole, openDialog, showFieldError } from './ui.js';

const canEdit = hasRole('supervisor') && Boolean($('#canned-dialog'));
const tbody = $('#canned-body');
const search = $('#canned-search');
let items = [];
let editing = null; // item being edited, or null for a new one
let deleting = null;

const fold = (s) => String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

async function load() {
  try {
    const data = await api.get('/api/agent/canned');
    items = Array.isArray(data) ? data : [];
  } catch (err) {
    announce(err.message, { error: true });
    items = [];
  }
  render();
}

function render() {
  const q = fold(search.value);
  const shown = items
    .filter((i) => !q || fold(`${i.shortcut} ${i.title} ${i.category} ${i.body}`).includes(q))
    .sort((a, b) => String(a.category || '').localeCompare(String(b.category || ''))
      || String(a.title || '').localeCompare(String(b.title || '')));
  clear(tbody);
  for (const item of shown) tbody.appendChild(rowNode(item));
  if (!shown.length) {
    tbody.appendChild(el('tr', null, el('td', { colspan: canEdit ? '5' : '4', class: 'empty' },
      items.length ? t('console.canned.no_results') : t('console.canned_page.empty'))));
  }
  $('#canned-count').textContent = t('console.canned.count', { count: shown.length });
}

function rowNode(item) {
  const title = item.title || '';
  return el('tr', { dataset: { testid: 'canned-row', cannedId: String(item.id) } },
    el('td', null, el('code', null, `/${String(item.shortcut || '').replace(/^\//, '')}`)),
    el('td', null, title),
    el('td', null, item.category || ''),
    el('td', { class: 'cell-body' }, item.body || ''),
    canEdit ? el('td', { class: 'cell-actions' },
      el('button', {
        type: 'button', class: 'btn btn-small', dataset: { testid: 'canned-edit' },
        'aria-label': t('console.canned_page.edit_label', { title }),
        onclick: () => openEditor(item),
      }, t('console.common.edit')),
      el('button', {
        type: 'button', class: 'btn btn-small btn-danger', dataset: { testid: 'canned-delete' },
        'aria-label': t('console.canned_page.delete_label', { title }),
        onclick: () => openDelete(item),
      }, t('console.common.delete'))) : null);
}

function openEditor(item) {
  editing = item;
  const form = $('#canned-form');
  clearFieldErrors(form);
  $('#canned-dialog-title').textContent = item ? t('console.canned_page.edit_title') : t('console.canned_page.new');
  form.elements.shortcut.value = item ? String(item.shortcut || '').replace(/^\//, '') : '';
  form.elements.title.value = item ? item.title || '' : '';
  form.elements.category.value = item ? item.category || '' : '';
  form.elements.body.value = item ? item.body || '' : '';
  openDialog($('#canned-dialog'), form.elements.shortcut);
}

function localCheck(form, payload) {
  for (const field of ['shortcut', 'title', 'body']) {
    if (!payload[field]) {
      return { field, message: t('console.form.required') };
    }
  }
  if (!/^[a-z0-9][a-z0-9_-]{0,39}$/.test(payload.shortcut)) {
    return { field: 'shortcut', message: t('console.canned_page.shortcut_invalid') };
  }
  return null;
}

async function save(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const payload = {
    shortcut: form.elements.shortcut.value.trim().replace(/^\//, '').toLowerCase(),
    title: form.elements.title.value.trim(),
    category: form.elements.category.value.trim(),
    body: form.elements.body.value.trim(),
  };
  const problem = localCheck(form, payload);
  if (problem) {
    showFieldError(form, problem);
    return;
  }
  const submit = form.querySelector('[type="submit"]');
  submit.disabled = true;
  try {
    if (editing) await api.put(`/api/agent/canned/${encodeURIComponent(editing.id)}`, payload);
    else await api.post('/api/agent/canned', payload);
    $('#canned-dialog').close();
    announce(t(editing ? 'console.canned_page.updated' : 'console.canned_page.created', { title: payload.title }));
    await load();
  } catch (err) {
    if (!err.field && err.code === 'shortcut_taken') err.field = 'shortcut';
    showFieldError(form, err);
  } finally {
    submit.disabled = false;
  }
}

function openDelete(item) {
  deleting = item;
  $('#canned-delete-text').textContent = t('console.canned_page.delete_text', { title: item.title || '' });
  const error = $('#canned-delete-error');
  error.hidden = true;
  openDialog($('#canned-delete'), $('#canned-delete [data-close]'));
}

async function confirmDelete(ev) {
  ev.preventDefault();
  if (!deleting) return;
  const error = $('#canned-delete-error');
  try {
    await api.del(`/api/agent/canned/${encodeURIComponent(deleting.id)}`);
    $('#canned-delete').close();
    announce(t('console.canned_page.deleted', { title: deleting.title || '' }));
    // Focus went back to the deleted row's button, which is gone: use the search field.
    search.focus();
    await load();
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
  }
}

search.addEventListener('input', render);
if (canEdit) {
  $('#canned-new').addEventListener('click', () => openEditor(null));
  $('#canned-form').addEventListener('submit', save);
  $('#canned-delete-form').addEventListener('submit', confirmDelete);
  for (const button of document.querySelectorAll('dialog [data-close]')) {
    button.addEventListener('click', () => button.closest('dialog').close());
  }
}
load();
