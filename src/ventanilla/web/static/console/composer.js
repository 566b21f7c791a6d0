// Composer: Enter sends (Shift+Enter adds a line), "Nota interna" toggle,
// throttled typing frames, and the canned responses picker ("/" or button).

import { api } from './api.js';
import { t } from './i18n.js';
import { clear, el } from './ui.js';

const TYPING_EVERY_MS = 3000;
const TYPING_IDLE_MS = 5000;
const MAX_OPTIONS = 8;

const fold = (s) => String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

export class Composer {
  constructor({ onSend, onTyping, citizenName }) {
    this.form = document.getElementById('composer-form');
    this.input = document.getElementById('composer');
    this.note = document.getElementById('note-toggle');
    this.sendButton = document.getElementById('send');
    this.cannedButton = document.getElementById('canned-open');
    this.panel = document.getElementById('canned-panel');
    this.filter = document.getElementById('canned-filter');
    this.list = document.getElementById('canned-list');
    this.count = document.getElementById('canned-count');
    this.onSend = onSend;
    this.onTyping = onTyping;
    this.citizenName = citizenName;
    this.canned = null;
    this.matches = [];
    this.active = 0;
    this.mode = null; // null | 'slash' | 'button'
    this.typingSentAt = 0;
    this.typingActive = false;
    this.idleTimer = null;
    this.bind();
  }

  bind() {
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (ev) => this.onKeydown(ev));
    this.input.addEventListener('input', () => {
      this.typed();
      this.checkSlash();
    });
    this.note.addEventListener('change', () => this.showNoteMode());
    this.cannedButton.addEventListener('click', () => {
      if (this.mode) this.closePicker(true);
      else this.openPicker('button');
    });
    this.filter.addEventListener('input', () => this.refilter(this.filter.value));
    this.filter.addEventListener('keydown', (ev) => this.onPickerKey(ev));
  }

  // --- state per conversation --------------------------------------------

  getDraft() {
    return { body: this.input.value, internal: this.note.checked };
  }

  setDraft(draft) {
    this.closePicker(false);
    this.input.value = (draft && draft.body) || '';
    this.note.checked = Boolean(draft && draft.internal);
    this.showNoteMode();
    this.stopTyping();
  }

  setEnabled(enabled) {
    for (const control of [this.input, this.note, this.sendButton, this.cannedButton]) {
      control.disabled = !enabled;
    }
    if (!enabled) this.closePicker(false);
  }

  focus() {
    this.input.focus();
  }

  showNoteMode() {
    const internal = this.note.checked;
    this.form.classList.toggle('is-note', internal);
    document.getElementById('composer-label').textContent =
      internal ? t('console.composer.label_note') : t('console.composer.label');
    this.sendButton.textContent = internal ? t('console.composer.send_note') : t('console.composer.send');
  }

  // --- sending and typing -------------------------------------------------

  submit() {
    const body = this.input.value.trim();
    if (!body) {
      this.input.focus();
      return;
    }
    if (body.length > 4000) return;
    const internal = this.note.checked;
    if (this.onSend(body, internal) === false) return;
    this.input.value = '';
    this.stopTyping();
    this.input.focus();
  }

  onKeydown(ev) {
    if (this.mode === 'slash' && this.onPickerKey(ev)) return;
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && !ev.altKey && !ev.ctrlKey) {
      ev.preventDefault();
      this.submit();
    }
  }

  typed() {
    if (this.note.checked) return; // the citizen does not see notes being written
    const now = Date.now();
    if (!this.typingActive || now - this.typingSentAt > TYPING_EVERY_MS) {
      this.typingActive = true;
      this.typingSentAt = now;
      this.onTyping(true);
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.idleTimer);
    if (this.typingActive) {
      this.typingActive = false;
      this.onTyping(false);
    }
  }

  // --- canned responses picker --------------------------------------------

  async loadCanned() {
    if (this.canned) return this.canned;
    try {
      const items = await api.get('/api/agent/canned');
      this.canned = Array.isArray(items) ? items : [];
    } catch (err) {
      this.count.textContent = err.message;
      return [];
    }
    return this.canned;
  }

  checkSlash() {
    const m = /^\/(\S*)$/.exec(this.input.value);
    if (m) {
      if (this.mode !== 'slash') this.openPicker('slash');
      this.filter.value = m[1];
      this.refilter(m[1]);
    } else if (this.mode === 'slash') {
      this.closePicker(false);
    }
  }

  async openPicker(mode) {
    this.mode = mode;
    this.panel.hidden = false;
    this.panel.classList.toggle('is-slash', mode === 'slash');
    this.cannedButton.setAttribute('aria-expanded', 'true');
    const owner = mode === 'slash' ? this.input : this.filter;
    owner.setAttribute('aria-controls', 'canned-list');
    if (mode === 'button') {
      this.filter.value = '';
      this.filter.focus();
    }
    await this.loadCanned();
    this.refilter(this.filter.value);
  }

  closePicker(returnFocus) {
    if (!this.mode) return;
    this.mode = null;
    this.panel.hidden = true;
    this.cannedButton.setAttribute('aria-expanded', 'false');
    for (const node of [this.input, this.filter]) {
      node.removeAttribute('aria-activedescendant');
      node.removeAttribute('aria-controls');
    }
    if (returnFocus) this.input.focus();
  }

  refilter(query) {
    if (!this.canned) return;
    const q = fold(query);
    const scored = [];
    for (const item of this.canned) {
      const short = fold(item.shortcut).replace(/^\//, '');
      const hay = `${short} ${fold(item.title)} ${fold(item.category)} ${fold(item.body)}`;
      if (!q || hay.includes(q)) scored.push([short.startsWith(q) ? 0 : 1, item]);
    }
    scored.sort((a, b) => a[0] - b[0]);
    this.matches = scored.slice(0, MAX_OPTIONS).map((pair) => pair[1]);
    this.active = 0;
    this.renderOptions();
    this.count.textContent = this.matches.length
      ? t('console.canned.count', { count: scored.length })
      : t('console.canned.no_results');
  }

  renderOptions() {
    clear(this.list);
    this.matches.forEach((item, index) => {
      this.list.appendChild(el('li', {
        id: `canned-opt-${index}`, role: 'option', class: 'canned-option',
        'aria-selected': index === this.active ? 'true' : 'false',
        dataset: { testid: 'canned-option' },
        onmousedown: (ev) => ev.preventDefault(), // keep focus where it is
        onclick: () => this.pick(item),
      },
      el('span', { class: 'canned-title' }, item.title || ''),
      item.shortcut ? el('span', { class: 'canned-shortcut' }, ` /${String(item.shortcut).replace(/^\//, '')}`) : null,
      el('span', { class: 'canned-preview' }, item.body || '')));
    });
    const owner = this.mode === 'slash' ? this.input : this.filter;
    if (this.matches.length) owner.setAttribute('aria-activedescendant', `canned-opt-${this.active}`);
    else owner.removeAttribute('aria-activedescendant');
  }

  /** Arrow keys, Enter and Escape while the picker is open; true if handled. */
  onPickerKey(ev) {
    if (!this.mode) return false;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      if (!this.matches.length) return false;
      ev.preventDefault();
      const step = ev.key === 'ArrowDown' ? 1 : -1;
      this.active = (this.active + step + this.matches.length) % this.matches.length;
      this.renderOptions();
      return true;
    }
    if (ev.key === 'Enter' && this.matches.length) {
      ev.preventDefault();
      this.pick(this.matches[this.active]);
      return true;
    }
    if (ev.key === 'Escape') {
      ev.preventDefault();
      this.closePicker(true);
      return true;
    }
    return false;
  }

  pick(item) {
    const name = this.citizenName() || '';
    const body = String(item.body || '').replace(/\{nombre\}/g, name);
    if (this.mode === 'slash') {
      this.input.value = body;
    } else {
      const { selectionStart: start, selectionEnd: end, value } = this.input;
      this.input.value = value.slice(0, start) + body + value.slice(end);
      this.input.selectionStart = this.input.selectionEnd = start + body.length;
    }
    this.closePicker(true);
    this.input.focus();
    this.typed();
  }
}
