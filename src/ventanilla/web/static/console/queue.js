// The queue of waiting conversations (left column), with waiting times that
// update every second.

import { formatDateTime, formatDuration, t } from './i18n.js';
import { clear, el, safeHref } from './ui.js';

export class QueueView {
  constructor({ list, empty, count, onTake }) {
    this.list = list;
    this.empty = empty;
    this.count = count;
    this.onTake = onTake;
    this.items = new Map(); // id -> summary
    this.timer = setInterval(() => this.tick(), 1000);
  }

  get size() {
    return this.items.size;
  }

  has(id) {
    return this.items.has(id);
  }

  reset(summaries) {
    this.items.clear();
    for (const s of summaries || []) if (s && s.id) this.items.set(s.id, s);
    this.render();
  }

  upsert(summary) {
    if (!summary || !summary.id) return;
    if (summary.status && summary.status !== 'waiting') {
      this.remove(summary.id);
      return;
    }
    this.items.set(summary.id, summary);
    this.render();
  }

  remove(id) {
    if (!this.items.delete(id)) return;
    const node = this.list.querySelector(`[data-conversation-id="${CSS.escape(id)}"]`);
    // Keep keyboard focus in the queue when the focused item disappears.
    const hadFocus = node && node.contains(document.activeElement);
    const next = node && (node.nextElementSibling || node.previousElementSibling);
    this.render();
    if (hadFocus) {
      const target = next && this.list.querySelector(
        `[data-conversation-id="${CSS.escape(next.dataset.conversationId)}"] button`);
      (target || document.getElementById('queue-title')).focus?.();
    }
  }

  sorted() {
    return Array.from(this.items.values()).sort(
      (a, b) => String(a.created_at || '').localeCompare(String(b.created_at || '')));
  }

  render() {
    const focusedId = this.list.contains(document.activeElement)
      ? document.activeElement.closest('[data-conversation-id]')?.dataset.conversationId
      : null;
    clear(this.list);
    for (const s of this.sorted()) this.list.appendChild(this.itemNode(s));
    this.empty.hidden = this.items.size > 0;
    this.count.textContent = String(this.items.size);
    if (focusedId) {
      this.list.querySelector(`[data-conversation-id="${CSS.escape(focusedId)}"] button`)?.focus();
    }
    this.tick();
  }

  itemNode(s) {
    const name = s.citizen_name || t('console.common.anonymous');
    const page = safeHref(s.page_url) ? new URL(s.page_url).pathname : s.page_url;
    const titleId = `q-${s.id}`;
    return el('li', {
      class: 'queue-item', dataset: { testid: 'queue-item', conversationId: s.id },
      'aria-labelledby': titleId,
    },
    el('h3', { class: 'queue-name', id: titleId }, name),
    el('p', { class: 'queue-type' }, s.request_type_label || s.request_type || ''),
    s.citizen_email ? el('p', { class: 'queue-email' }, s.citizen_email) : null,
    page ? el('p', { class: 'queue-page', title: s.page_url }, page) : null,
    el('p', { class: 'queue-wait' },
      el('span', { class: 'visually-hidden' }, t('console.queue.waiting'), ' '),
      el('time', { datetime: s.created_at || '', title: formatDateTime(s.created_at), dataset: { waitSince: s.created_at || '' } })),
    s.last_message ? el('p', { class: 'queue-last' }, s.last_message) : null,
    el('button', {
      type: 'button', class: 'btn btn-primary btn-take', dataset: { testid: 'take' },
      'aria-label': t('console.queue.take_label', { name }),
      onclick: (ev) => this.onTake(s, ev.currentTarget),
    }, t('console.queue.take')));
  }

  tick() {
    const now = Date.now();
    for (const node of this.list.querySelectorAll('[data-wait-since]')) {
      const since = Date.parse(node.dataset.waitSince);
      const text = Number.isNaN(since) ? '' : formatDuration((now - since) / 1000);
      if (node.textContent !== text) node.textContent = text;
    }
  }
}
