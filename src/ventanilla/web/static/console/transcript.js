// Rendering of conversation events (messages, internal notes, system events).
// Bodies are plain text: always textContent, never HTML.

import { formatDateTime, formatTime, t } from './i18n.js';
import { el } from './ui.js';

let requestTypeLabels = null;
/** Labels of request types, read from a server-rendered <select data-request-types>. */
export function requestTypeLabel(code) {
  if (!code) return '';
  if (!requestTypeLabels) {
    requestTypeLabels = new Map();
    for (const option of document.querySelectorAll('select[data-request-types] option')) {
      if (option.value) requestTypeLabels.set(option.value, option.textContent.trim());
    }
  }
  return requestTypeLabels.get(code) || code;
}

function timeNode(value) {
  if (!value) return null;
  return el('time', { datetime: value, title: formatDateTime(value), class: 'msg-time' }, formatTime(value));
}

/** State of an agent message: sending (no ack yet), sent, seen (citizen_seen_seq >= seq). */
export function stateOf(seq, citizenSeenSeq) {
  if (!seq) return 'sending';
  return citizenSeenSeq && seq <= citizenSeenSeq ? 'seen' : 'sent';
}

function stateNode(state) {
  return el('span', { class: 'msg-state', 'data-role': 'state' }, t(`console.msg.state.${state}`));
}

function systemText(ev) {
  const data = ev.data || {};
  const name = (ev.author && ev.author.name) || '';
  switch (ev.kind) {
    case 'joined':
      return t('console.event.joined', { name: data.agent_name || name });
    case 'transferred':
      return t('console.event.transferred', { from: data.from_name || name, to: data.to_name || '' });
    case 'handover':
      return t('console.event.handover', { reason: t(`console.event.handover.${data.reason || 'requested'}`) });
    case 'choices':
      return t('console.event.choices', { options: (data.options || []).map((o) => o.question).join(' · ') });
    case 'feedback':
      return t(data.helpful ? 'console.event.feedback_yes' : 'console.event.feedback_no');
    case 'filed':
      return t('console.event.filed', { number: data.number || '', due: data.due_date || '' });
    case 'reopened':
      return t('console.event.reopened');
    case 'closed':
      return data.by === 'citizen'
        ? t('console.event.closed_by_citizen')
        : t('console.event.closed_by_agent', { name });
    default:
      return t('console.event.other', { kind: ev.kind || '' });
  }
}

function automaticLabel(data) {
  if (!data.entry_id) return t('console.msg.automatic');
  const confidence = typeof data.confidence === 'number' ? data.confidence.toFixed(2) : '-';
  return t('console.msg.automatic_detail', { entry: data.entry_id, confidence });
}

/** One event as a DOM node (data-testid="msg"). */
export function eventNode(ev, { citizenSeenSeq = 0 } = {}) {
  const role = (ev.author && ev.author.role) || 'system';
  const dataset = { testid: 'msg', seq: String(ev.seq || ''), kind: ev.kind || 'message' };
  if (ev.client_id) dataset.clientId = ev.client_id;

  if (ev.kind === 'message' || ev.kind === 'note') {
    const isNote = ev.kind === 'note';
    const state = role === 'agent' && !isNote ? stateOf(ev.seq, citizenSeenSeq) : (isNote ? 'saved' : 'received');
    dataset.state = state;
    const node = el('div', { class: `msg msg-${isNote ? 'note' : role}`, dataset },
      el('p', { class: 'msg-meta' },
        el('span', { class: 'msg-author' }, (ev.author && ev.author.name) || t(`console.role.${role}`)),
        ' ', timeNode(ev.created_at)),
      isNote ? el('p', { class: 'msg-note-label' }, t('console.msg.note_label')) : null,
      role === 'assistant' ? el('p', { class: 'msg-auto-label', 'data-testid': 'msg-automatic' }, automaticLabel(ev.data || {})) : null,
      el('p', { class: 'msg-body' }, ev.body || ''),
      role === 'agent' && !isNote ? stateNode(state) : null);
    return node;
  }

  dataset.state = 'system';
  const children = [el('span', { class: 'msg-system-text' }, systemText(ev)), ' ', timeNode(ev.created_at)];
  const data = ev.data || {};
  if (ev.kind === 'closed' && (data.request_type || data.topic)) {
    children.push(el('span', { class: 'msg-classification' },
      t('console.event.classification', {
        type: requestTypeLabel(data.request_type) || t('console.common.none'),
        topic: data.topic || t('console.common.none'),
      })));
  }
  return el('div', { class: 'msg msg-system', dataset }, ...children);
}

/** An own message that has no ack yet (from the outbox). */
export function pendingNode(entry, { failed = null } = {}) {
  const isNote = Boolean(entry.internal);
  const state = failed ? 'failed' : 'sending';
  const node = eventNode({
    kind: isNote ? 'note' : 'message',
    author: { role: 'agent', name: document.body.dataset.userName || '' },
    body: entry.body,
    client_id: entry.client_id,
    created_at: entry.created_at,
  });
  node.dataset.state = state;
  node.dataset.pending = '1';
  node.classList.add('msg-pending');
  let slot = node.querySelector('[data-role="state"]');
  if (!slot) {
    slot = stateNode(state);
    node.appendChild(slot);
  }
  slot.textContent = failed ? t('console.msg.state.failed', { reason: failed }) : t('console.msg.state.sending');
  return node;
}

/** Insert an event node in seq order (pending own messages stay at the end). */
export function insertInOrder(container, node) {
  const seq = Number(node.dataset.seq);
  const nodes = container.querySelectorAll('[data-testid="msg"]');
  for (let i = nodes.length - 1; i >= 0; i -= 1) {
    const other = nodes[i];
    if (other.dataset.pending) continue;
    if (Number(other.dataset.seq) < seq) {
      other.after(node);
      return;
    }
  }
  container.prepend(node);
}

/** Update sent/seen states of agent messages after a citizen `seen`. */
export function refreshStates(container, citizenSeenSeq) {
  for (const node of container.querySelectorAll('.msg-agent[data-seq]:not([data-pending])')) {
    const seq = Number(node.dataset.seq);
    const state = stateOf(seq, citizenSeenSeq);
    if (node.dataset.state !== state) {
      node.dataset.state = state;
      const slot = node.querySelector('[data-role="state"]');
      if (slot) slot.textContent = t(`console.msg.state.${state}`);
    }
  }
}
