// Drawing of the workspace's conversation tabs and citizen details.

import { formatDateTime, t } from './i18n.js';
import { clear, el, linkOrText } from './ui.js';

/** Tabs of the agent's conversations, with unread badges (data-testid="conv-tab"). */
export function drawTabs(list, convs, selectedId, onSelect) {
  const focused = list.contains(document.activeElement)
    ? document.activeElement.dataset.conversationId : null;
  clear(list);
  for (const [id, conv] of convs) {
    const s = conv.summary;
    const button = el('button', {
      type: 'button', class: 'conv-tab',
      dataset: { testid: 'conv-tab', conversationId: id },
      'aria-current': id === selectedId ? 'true' : null,
      onclick: () => onSelect(id),
    },
    el('span', { class: 'conv-tab-name' }, s.citizen_name || t('console.common.anonymous')),
    el('span', { class: 'conv-tab-type' }, conv.ended
      ? t(`console.conv.ended_short.${conv.ended}`) : (s.request_type_label || '')),
    conv.unread ? el('span', { class: 'badge', dataset: { testid: 'unread' } },
      String(conv.unread),
      el('span', { class: 'visually-hidden' }, ` ${t('console.mine.unread', { count: conv.unread })}`)) : null);
    if (conv.ended) button.classList.add('is-ended');
    list.appendChild(el('li', null, button));
  }
  if (focused) list.querySelector(`[data-conversation-id="${CSS.escape(focused)}"]`)?.focus();
}

/** The right column: who the citizen is and where they came from. */
export function drawDetails(s) {
  const none = t('console.common.none');
  const set = (id, value) => {
    document.getElementById(id).textContent = value || none;
  };
  set('d-name', s.citizen_name);
  set('d-email', s.citizen_email);
  set('d-type', s.request_type_label || s.request_type);
  clear(document.getElementById('d-page')).append(linkOrText(s.page_url));
  set('d-started', formatDateTime(s.created_at));
  set('d-taken', formatDateTime(s.taken_at));
}
