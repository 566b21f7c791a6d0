// Message catalog for the console. The server renders the whole catalog of the
// page's language into <script type="application/json" id="vt-messages">.

let catalog = null;

function load() {
  if (catalog) return catalog;
  catalog = {};
  const node = document.getElementById('vt-messages');
  if (node) {
    try {
      let data = JSON.parse(node.textContent || '{}');
      if (typeof data === 'string') data = JSON.parse(data);
      if (data && typeof data === 'object') catalog = data;
    } catch (err) {
      console.error('vt-messages: invalid JSON', err);
    }
  }
  return catalog;
}

export const lang = document.documentElement.lang || 'es-CO';

export function has(key) {
  return Object.prototype.hasOwnProperty.call(load(), key);
}

/** t('console.key', {name: 'Ana'}) — named {placeholders}, like Python's str.format. */
export function t(key, params) {
  const template = Object.prototype.hasOwnProperty.call(load(), key) ? catalog[key] : key;
  if (!params) return template;
  return String(template).replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole);
}

/** "3 min 20 s", "45 s", "1 h 5 min" */
export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return t('console.duration.hours', { h, min: m });
  if (m > 0) return t('console.duration.minutes', { min: m, s: sec });
  return t('console.duration.seconds', { s: sec });
}

const dateTimeFmt = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
const timeFmt = new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' });

function toDate(value) {
  if (!value) return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDateTime(value) {
  const d = toDate(value);
  return d ? dateTimeFmt.format(d) : '';
}

export function formatTime(value) {
  const d = toDate(value);
  return d ? timeFmt.format(d) : '';
}
