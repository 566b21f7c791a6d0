// PQRSD types and closed days (/console/case-types, admins): the entity's names, terms (never
// above the law's) and areas, and the days it does not attend. Filing, the lists and
// `ventanilla cases due-date` read the same data.
import { api } from './api.js';
import { t } from './i18n.js';
import './shell.js';
import { $, announce, clear, clearFieldErrors, el, showFieldError } from './ui.js';
import { formatDay } from './cases_format.js';

const tbody = $('#type-rows');
const closedList = $('#closed-list');

function typeRow(type) {
  const id = (name) => `type-${type.code}-${name}`;
  const form = el('form', { id: id('form'), novalidate: true });
  const error = el('p', { class: 'field-error', id: id('error'), dataset: { errorFor: '_form' }, role: 'alert', hidden: true });
  form.appendChild(error);
  const input = (name, attrs) => el('input', {
    id: id(name), name, form: id('form'), 'aria-describedby': id('error'), dataset: { testid: `type-${name}` }, ...attrs,
  });
  const row = el('tr', { dataset: { testid: 'type-row', code: type.code } },
    el('td', null, el('code', null, type.code)),
    el('td', null,
      el('label', { class: 'visually-hidden', for: id('label') }, t('console.case_types.label_for', { code: type.code })),
      input('label', { type: 'text', value: type.custom_label ? type.label : '', placeholder: type.label, maxlength: '120' })),
    el('td', null,
      el('label', { class: 'visually-hidden', for: id('term_days') }, t('console.case_types.term_for', { code: type.code })),
      input('term_days', { type: 'number', min: '1', max: String(type.legal_term_days), value: String(type.term_days), required: true }),
      el('span', { class: 'hint' }, ` ${t('console.case_types.legal', { n: type.legal_term_days })}`)),
    el('td', null,
      el('label', { class: 'visually-hidden', for: id('area') }, t('console.case_types.area_for', { code: type.code })),
      input('area', { type: 'text', value: type.area, maxlength: '80' })),
    el('td', null, form,
      el('button', { type: 'submit', form: id('form'), class: 'btn btn-small', dataset: { testid: 'type-save' } }, t('console.case_types.save'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFieldErrors(form);
    try {
      const saved = await api.put(`/api/admin/case-types/${encodeURIComponent(type.code)}`, {
        label: $(`#${id('label')}`).value.trim(),
        term_days: Number($(`#${id('term_days')}`).value),
        area: $(`#${id('area')}`).value.trim(),
      });
      announce(t('console.case_types.saved', { label: saved.label, n: saved.term_days }));
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      announce(err.message, { error: true });
    }
  });
  return row;
}

async function load() {
  let data;
  try {
    data = await api.get('/api/agent/case-types');
  } catch (err) {
    announce(err.message, { error: true });
    return;
  }
  clear(tbody);
  for (const type of data.types) tbody.appendChild(typeRow(type));
  clear(closedList);
  if (!data.closed_days.length) closedList.appendChild(el('li', { class: 'hint' }, t('console.case_types.no_closed')));
  for (const day of data.closed_days) {
    closedList.appendChild(el('li', { dataset: { testid: 'closed-item' } },
      `${formatDay(day.day)}${day.reason ? ` · ${day.reason}` : ''} `,
      el('button', {
        type: 'button', class: 'btn btn-small', 'aria-label': t('console.case_types.remove_day', { day: formatDay(day.day) }),
        onclick: () => removeDay(day.day),
      }, t('console.case_types.remove'))));
  }
}

async function removeDay(day) {
  try {
    await api.del(`/api/admin/closed-days/${day}`);
    announce(t('console.case_types.removed', { day: formatDay(day) }));
    await load();
  } catch (err) {
    announce(err.message, { error: true });
  }
}

$('#closed-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = ev.currentTarget;
  clearFieldErrors(form);
  try {
    await api.post('/api/admin/closed-days', { day: form.elements.day.value || null, reason: form.elements.reason.value.trim() });
    announce(t('console.case_types.added', { day: formatDay(form.elements.day.value) }));
    form.reset();
    await load();
  } catch (err) {
    if (!err.field) err.field = 'day';
    showFieldError(form, err);
  }
});

load();
