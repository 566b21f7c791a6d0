// Entity settings (/console/settings, admins): GET/PUT /api/admin/settings,
// validation errors next to their field, and the embed snippet.

import { api } from './api.js';
import { t } from './i18n.js';
import './shell.js';
import { $, $$, announce, clearFieldErrors, showFieldError } from './ui.js';

const form = $('#settings-form');
const TEXT_FIELDS = [
  'name', 'privacy_policy_url', 'contact_email', 'title', 'welcome', 'launcher',
  'privacy_notice_text', 'privacy_notice_version',
];
const HEX = /^#[0-9a-fA-F]{6}$/;
const DEFAULT_TZ = 'America/Bogota';
let loaded = {};

function control(name) {
  return form.elements.namedItem(name);
}

// --- colors and contrast ----------------------------------------------------

function luminance(hex) {
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
}

export function contrastRatio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function updatePreview() {
  const bg = control('primary_color').value.trim();
  const fg = control('text_on_primary').value.trim();
  const preview = $('#s-preview');
  const out = $('#s-contrast');
  preview.textContent = control('launcher').value.trim() || t('console.settings.launcher');
  if (!HEX.test(bg) || !HEX.test(fg)) {
    out.textContent = '';
    return;
  }
  preview.style.backgroundColor = bg;
  preview.style.color = fg;
  const ratio = contrastRatio(bg, fg);
  const ok = ratio >= 4.5;
  out.classList.toggle('is-error', !ok);
  out.textContent = t(ok ? 'console.settings.contrast_ok' : 'console.settings.contrast_low',
    { ratio: ratio.toFixed(1) });
}

for (const picker of $$('input[data-color-for]')) {
  const text = $(`#${picker.dataset.colorFor}`);
  picker.addEventListener('input', () => {
    text.value = picker.value;
    updatePreview();
  });
  text.addEventListener('input', () => {
    if (HEX.test(text.value.trim())) picker.value = text.value.trim().toLowerCase();
    updatePreview();
  });
}
control('launcher').addEventListener('input', updatePreview);

// --- office hours -------------------------------------------------------------

function dayRows() {
  return $$('tr[data-day]', form);
}

function syncDay(row) {
  const open = row.querySelector('[data-day-open]').checked;
  for (const input of row.querySelectorAll('input[type="time"]')) {
    input.disabled = !open;
    input.required = open;
  }
}

for (const row of dayRows()) {
  row.querySelector('[data-day-open]').addEventListener('change', () => {
    syncDay(row);
    if (row.querySelector('[data-day-open]').checked && !row.querySelector('[data-day-from]').value) {
      row.querySelector('[data-day-from]').value = '07:00';
      row.querySelector('[data-day-to]').value = '16:30';
    }
  });
}

// --- load and save --------------------------------------------------------------

function fill(data) {
  loaded = data || {};
  for (const name of TEXT_FIELDS) control(name).value = loaded[name] ?? '';
  for (const name of ['primary_color', 'text_on_primary']) {
    const value = loaded[name] || '';
    control(name).value = value;
    if (HEX.test(value)) $(`input[data-color-for="${control(name).id}"]`).value = value.toLowerCase();
  }
  const position = loaded.position === 'left' ? 'left' : 'right';
  form.querySelector(`input[name="position"][value="${position}"]`).checked = true;
  control('allowed_origins').value = (loaded.allowed_origins || []).join('\n');
  control('assistant_enabled').checked = loaded.assistant_enabled !== false;
  const hours = loaded.office_hours || {};
  control('office_hours.timezone').value = hours.timezone || DEFAULT_TZ;
  const days = Array.isArray(hours.days) ? hours.days : [];
  dayRows().forEach((row, i) => {
    const day = days[i];
    row.querySelector('[data-day-open]').checked = Boolean(day);
    row.querySelector('[data-day-from]').value = day ? day.open || '' : '';
    row.querySelector('[data-day-to]').value = day ? day.close || '' : '';
    syncDay(row);
  });
  updatePreview();
}

function collect() {
  const data = {};
  for (const name of TEXT_FIELDS) data[name] = control(name).value.trim();
  data.primary_color = control('primary_color').value.trim();
  data.text_on_primary = control('text_on_primary').value.trim();
  data.position = form.querySelector('input[name="position"]:checked')?.value || 'right';
  data.allowed_origins = control('allowed_origins').value.split(/\r?\n/)
    .map((line) => line.trim().replace(/\/+$/, '')).filter(Boolean);
  data.assistant_enabled = control('assistant_enabled').checked;
  data.office_hours = {
    timezone: control('office_hours.timezone').value.trim() || DEFAULT_TZ,
    days: dayRows().map((row) => (row.querySelector('[data-day-open]').checked
      ? { open: row.querySelector('[data-day-from]').value, close: row.querySelector('[data-day-to]').value }
      : null)),
  };
  return data;
}

/** Checks that need no server; the server checks everything again. */
function localProblem(data) {
  if (!data.name) return { field: 'name', message: t('console.form.required') };
  for (const name of ['primary_color', 'text_on_primary']) {
    if (!HEX.test(data[name])) return { field: name, message: t('console.settings.color_invalid') };
  }
  for (const origin of data.allowed_origins) {
    let ok = false;
    try {
      const url = new URL(origin);
      ok = (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === origin;
    } catch {
      ok = false;
    }
    if (!ok) return { field: 'allowed_origins', message: t('console.settings.origin_invalid', { origin }) };
  }
  for (let i = 0; i < 7; i += 1) {
    const day = data.office_hours.days[i];
    if (day && (!day.open || !day.close || day.open >= day.close)) {
      return { field: `office_hours.days.${i}`, message: t('console.settings.hours_invalid') };
    }
  }
  return null;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearFieldErrors(form);
  const data = collect();
  const problem = localProblem(data);
  if (problem) {
    showFieldError(form, problem);
    return;
  }
  const submit = form.querySelector('[type="submit"]');
  submit.disabled = true;
  try {
    const saved = await api.put('/api/admin/settings', data);
    if (saved && typeof saved === 'object' && 'name' in saved) fill(saved);
    announce(t('console.settings.saved'));
  } catch (err) {
    showFieldError(form, err);
    announce(err.message, { error: true });
  } finally {
    submit.disabled = false;
  }
});

// --- embed snippet ------------------------------------------------------------------

const snippet = `<script src="${location.origin}/widget.js" async></script>`;
$('#embed-code').textContent = snippet;
$('#embed-copy').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(snippet);
  } catch {
    // No clipboard API (plain http): select the text so Ctrl+C copies it.
    const range = document.createRange();
    range.selectNodeContents($('#embed-code'));
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    const copied = document.execCommand && document.execCommand('copy');
    if (!copied) {
      announce(t('console.settings.copy_manual'));
      return;
    }
  }
  announce(t('console.settings.copied'));
});

async function load() {
  try {
    fill(await api.get('/api/admin/settings'));
  } catch (err) {
    announce(err.message, { error: true, timeout: 0 });
  } finally {
    form.removeAttribute('aria-busy');
  }
}
load();
