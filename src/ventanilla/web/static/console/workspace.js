// Live workspace (/console): queue, the agent's conversations, transcript,
// composer and citizen details, driven by the /ws/agent websocket.

import { api, sessionExpired } from './api.js';
import { Composer } from './composer.js';
import { CloseDialog, TransferDialog } from './dialogs.js';
import { drawDetails, drawTabs } from './panels.js';
import { formatDateTime, lang, t } from './i18n.js';
import { QueueView } from './queue.js';
import { showPresence } from './shell.js';
import { AgentSocket } from './socket.js';
import { eventNode, insertInOrder, pendingNode, refreshStates } from './transcript.js';
import { $, announce, clear, currentUser, el } from './ui.js';

const me = currentUser();
const baseTitle = document.title;
const socket = new AgentSocket({ lang, storageKey: `ventanilla:agent-outbox:${me.id}` });
const convs = new Map(); // id -> conversation state
let selectedId = null;

const dom = {
  tabs: $('#conv-tabs'), mineCount: $('#mine-count'), convEmpty: $('#conv-empty'),
  panel: $('#conv-panel'), name: $('#conv-name'), status: $('#conv-status'),
  transcript: $('#transcript'), typing: $('#typing'), ended: $('#conv-ended'),
  endedText: $('#conv-ended-text'), details: $('#details'), detailsEmpty: $('#details-empty'),
  conn: $('#conn'), connText: $('#conn-text'),
};

const queue = new QueueView({
  list: $('#queue'), empty: $('#queue-empty'), count: $('#queue-count'), onTake: take,
});
const composer = new Composer({
  onSend: send,
  onTyping: (active) => selectedId && socket.typing(selectedId, active),
  citizenName: () => convs.get(selectedId)?.summary.citizen_name || '',
});
const transferDialog = new TransferDialog({
  onDone: (conv, summary, agentName) => {
    removeConv(conv.id);
    announce(t('console.transfer.done', { name: conv.citizen_name || '', agent: agentName }));
  },
});
const closeDialog = new CloseDialog({
  onDone: (conv) => {
    removeConv(conv.id);
    announce(t('console.close.done', { name: conv.citizen_name || '' }));
  },
});

// --- conversations ---------------------------------------------------------

function upsertConv(summary) {
  let conv = convs.get(summary.id);
  if (!conv) {
    conv = {
      summary, events: [], unread: 0, ended: null, draft: null, typingTimer: null,
      citizenSeen: summary.citizen_seen_seq || 0, seenSent: summary.agent_seen_seq || 0,
    };
    convs.set(summary.id, conv);
    socket.subscribe(summary.id, 0);
  } else {
    conv.summary = { ...conv.summary, ...summary };
    conv.citizenSeen = Math.max(conv.citizenSeen, summary.citizen_seen_seq || 0);
  }
  if (summary.status === 'closed') conv.ended = conv.ended || 'closed';
  renderTabs();
  if (summary.id === selectedId) renderDetails();
  return conv;
}

function removeConv(id) {
  const ids = Array.from(convs.keys());
  const index = ids.indexOf(id);
  convs.delete(id);
  socket.unsubscribe(id);
  if (selectedId === id) {
    const next = ids[index + 1] || ids[index - 1];
    selectedId = null;
    select(next && convs.has(next) ? next : null, { focusTab: true });
  }
  renderTabs();
  updateTitle();
}

function endConv(id, reason) {
  const conv = convs.get(id);
  if (!conv || conv.ended === reason) return;
  conv.ended = conv.ended === 'closed' ? 'closed' : reason;
  conv.typing = false;
  renderTabs();
  if (id === selectedId) renderPanel();
}

function renderTabs() {
  drawTabs(dom.tabs, convs, selectedId, (id) => select(id, { focusComposer: true }));
  dom.mineCount.textContent = String(convs.size);
  dom.convEmpty.hidden = convs.size > 0 && selectedId !== null;
}

function select(id, { focusComposer = false, focusTab = false } = {}) {
  const previous = convs.get(selectedId);
  if (previous && selectedId !== id) previous.draft = composer.getDraft();
  selectedId = id && convs.has(id) ? id : null;
  renderTabs();
  renderPanel();
  if (!selectedId) {
    if (focusTab) $('#mine-title').focus();
    return;
  }
  if (focusComposer && !convs.get(selectedId).ended) composer.focus();
  else if (focusTab) dom.tabs.querySelector(`[data-conversation-id="${CSS.escape(selectedId)}"]`)?.focus();
  maybeSeen();
}

let renderedId = null;
function renderPanel() {
  const conv = convs.get(selectedId);
  // Re-rendering the same conversation keeps what is being typed.
  if (conv && renderedId === selectedId) conv.draft = composer.getDraft();
  renderedId = selectedId;
  dom.panel.hidden = !conv;
  dom.convEmpty.hidden = Boolean(conv);
  renderDetails();
  if (!conv) return;
  dom.name.textContent = conv.summary.citizen_name || t('console.common.anonymous');
  dom.status.textContent = conv.ended
    ? t(`console.conv.ended_short.${conv.ended}`)
    : t('console.conv.active_since', { time: formatDateTime(conv.summary.taken_at || conv.summary.created_at) });
  // Rebuilding the log must not read every message aloud again.
  dom.transcript.setAttribute('aria-live', 'off');
  clear(dom.transcript);
  for (const ev of conv.events) dom.transcript.appendChild(eventNode(ev, { citizenSeenSeq: conv.citizenSeen }));
  for (const entry of socket.pending(selectedId)) dom.transcript.appendChild(pendingNode(entry));
  if (!conv.events.length) dom.transcript.appendChild(el('p', { class: 'hint' }, t('console.common.loading')));
  setTimeout(() => dom.transcript.setAttribute('aria-live', 'polite'), 100);
  scrollToEnd(true);
  showTyping(conv);
  dom.ended.hidden = !conv.ended;
  dom.endedText.textContent = conv.ended ? t(`console.conv.ended.${conv.ended}`) : '';
  composer.setDraft(conv.draft);
  composer.setEnabled(!conv.ended);
  $('#transfer').disabled = Boolean(conv.ended);
  $('#close-conv').disabled = Boolean(conv.ended);
}

function renderDetails() {
  const conv = convs.get(selectedId);
  dom.details.hidden = !conv;
  dom.detailsEmpty.hidden = Boolean(conv);
  if (conv) drawDetails(conv.summary);
}

function scrollToEnd(force) {
  const box = dom.transcript;
  const nearEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  if (force || nearEnd) box.scrollTop = box.scrollHeight;
}

function showTyping(conv) {
  dom.typing.textContent = conv && conv.typing
    ? t('console.conv.typing', { name: conv.summary.citizen_name || t('console.role.citizen') }) : '';
}

// --- actions ---------------------------------------------------------------

async function take(summary, button) {
  button.disabled = true;
  try {
    const taken = await api.post(`/api/agent/conversations/${encodeURIComponent(summary.id)}/take`);
    upsertConv(taken && taken.id ? taken : { ...summary, status: 'active' });
    select(summary.id, { focusComposer: true });
    queue.remove(summary.id);
    announce(t('console.queue.taken', { name: summary.citizen_name || '' }));
  } catch (err) {
    if ((err.status === 409 && err.code !== 'chat_limit_reached') || err.status === 404) {
      queue.remove(summary.id);
    } else if (document.contains(button)) {
      button.disabled = false;
    }
    announce(err.message, { error: true });
  }
}

function send(body, internal) {
  const conv = convs.get(selectedId);
  if (!conv || conv.ended) return false;
  const entry = socket.sendMessage(selectedId, body, internal);
  dom.transcript.querySelector(':scope > p.hint')?.remove();
  dom.transcript.appendChild(pendingNode(entry));
  scrollToEnd(true);
  if (socket.state !== 'open') announce(t('console.conn.queued'));
  return true;
}

$('#transfer').addEventListener('click', () => {
  const conv = convs.get(selectedId);
  if (conv) transferDialog.open(conv.summary);
});
$('#close-conv').addEventListener('click', () => {
  const conv = convs.get(selectedId);
  if (conv) closeDialog.open(conv.summary);
});
$('#conv-dismiss').addEventListener('click', () => selectedId && removeConv(selectedId));

/** A conversation that stopped being ours while offline: find out why, keep its transcript. */
async function settleGone(id) {
  socket.unsubscribe(id);
  let data = null;
  try {
    data = await api.get(`/api/agent/conversations/${encodeURIComponent(id)}`);
  } catch {
    /* not visible any more: keep what we have */
  }
  const conv = convs.get(id);
  if (!conv) return;
  if (data && Array.isArray(data.events)) conv.events = data.events;
  if (data && data.conversation) conv.summary = { ...conv.summary, ...data.conversation };
  conv.ended = null;
  endConv(id, conv.summary.status === 'closed' ? 'closed' : 'transferred');
}

// --- seen, unread and title -------------------------------------------------

function isCitizenMessage(ev) {
  return ev.kind === 'message' && ev.author && ev.author.role === 'citizen';
}

function maybeSeen() {
  const conv = convs.get(selectedId);
  if (!conv || document.visibilityState !== 'visible') return;
  const last = socket.lastSeq(selectedId);
  if (!conv.ended && last > conv.seenSent && socket.seen(selectedId, last)) conv.seenSent = last;
  if (conv.unread) {
    conv.unread = 0;
    renderTabs();
  }
  updateTitle();
}

function updateTitle() {
  let unread = 0;
  for (const conv of convs.values()) unread += conv.unread;
  const waiting = queue.size;
  document.title = waiting || unread ? t('console.doc_title', { waiting, unread, title: baseTitle }) : baseTitle;
}

document.addEventListener('visibilitychange', maybeSeen);

// --- websocket frames ------------------------------------------------------

socket.addEventListener('welcome', ({ detail }) => {
  if (detail.agent) showPresence(detail.agent.presence);
  queue.reset(detail.queue);
  const mine = new Set((detail.mine || []).map((s) => s.id));
  for (const [id, conv] of convs) if (!mine.has(id) && !conv.ended) settleGone(id);
  for (const s of detail.mine || []) upsertConv(s);
  if (!selectedId && convs.size) select(convs.keys().next().value);
  else maybeSeen();
  updateTitle();
});

socket.addEventListener('event', ({ detail: ev }) => {
  const conv = convs.get(ev.conversation_id);
  if (!conv) return;
  conv.events.push(ev);
  // An agent's message raises the conversation's agent mark on the server (the writer stores
  // it so): no `seen` frame is owed for it, only for what the citizen writes afterwards.
  if (ev.kind === 'message' && ev.author && ev.author.role === 'agent') conv.seenSent = Math.max(conv.seenSent, ev.seq);
  if (isCitizenMessage(ev)) {
    conv.typing = false;
    if (ev.seq > conv.seenSent) conv.unread += 1;
  }
  if (ev.conversation_id === selectedId) {
    dom.transcript.querySelector(':scope > p.hint')?.remove();
    const node = eventNode(ev, { citizenSeenSeq: conv.citizenSeen });
    const old = ev.client_id && dom.transcript.querySelector(`[data-client-id="${CSS.escape(ev.client_id)}"]`);
    if (old) old.remove();
    insertInOrder(dom.transcript, node);
    showTyping(conv);
    scrollToEnd(Boolean(old));
    maybeSeen();
  }
  if (ev.kind === 'closed') {
    conv.summary.status = 'closed';
    endConv(ev.conversation_id, 'closed');
  }
  renderTabs();
  updateTitle();
});

socket.addEventListener('ack', ({ detail }) => {
  const node = dom.transcript.querySelector(`[data-client-id="${CSS.escape(detail.client_id)}"][data-pending]`);
  if (!node) return;
  const conv = convs.get(selectedId);
  const entry = detail.entry || { body: node.querySelector('.msg-body')?.textContent || '' };
  const acked = eventNode({
    kind: node.dataset.kind, seq: detail.seq, body: entry.body, client_id: detail.client_id,
    author: { role: 'agent', name: me.name }, created_at: detail.created_at || entry.created_at,
  }, { citizenSeenSeq: conv ? conv.citizenSeen : 0 });
  node.remove();
  insertInOrder(dom.transcript, acked);
});

socket.addEventListener('failed', ({ detail }) => {
  const node = dom.transcript.querySelector(`[data-client-id="${CSS.escape(detail.client_id)}"]`);
  if (node && detail.entry) node.replaceWith(pendingNode(detail.entry, { failed: detail.message }));
  announce(detail.message || t('console.error.generic'), { error: true });
});

socket.addEventListener('error', ({ detail }) => {
  announce(detail.message || t('console.error.generic'), { error: true });
});

socket.addEventListener('queue', ({ detail }) => {
  if (detail.action === 'removed') queue.remove(detail.conversation?.id);
  else if (detail.conversation) queue.upsert(detail.conversation);
  updateTitle();
});

socket.addEventListener('assigned', ({ detail }) => {
  const s = detail.conversation;
  if (!s) return;
  const known = convs.has(s.id);
  queue.remove(s.id);
  upsertConv(s);
  if (!known) announce(t('console.mine.assigned', { name: s.citizen_name || '' }));
  if (!selectedId) select(s.id);
  updateTitle();
});

socket.addEventListener('unassigned', ({ detail }) => {
  const conv = convs.get(detail.conversation_id);
  if (!conv) return;
  socket.unsubscribe(detail.conversation_id);
  endConv(detail.conversation_id, conv.summary.status === 'closed' ? 'closed' : 'transferred');
  if (conv.ended === 'transferred') {
    announce(t('console.mine.unassigned', { name: conv.summary.citizen_name || '' }));
  }
});

socket.addEventListener('conversation', ({ detail }) => {
  const s = detail.conversation;
  if (!s) return;
  if (convs.has(s.id)) upsertConv(s);
  else if (queue.has(s.id)) queue.upsert(s);
  if (s.status === 'closed' && convs.has(s.id)) endConv(s.id, 'closed');
  updateTitle();
});

socket.addEventListener('presence', ({ detail }) => {
  if (String(detail.agent_id) === String(me.id)) showPresence(detail.presence);
});

socket.addEventListener('typing', ({ detail }) => {
  const conv = convs.get(detail.conversation_id);
  if (!conv || detail.role !== 'citizen') return;
  conv.typing = Boolean(detail.active);
  clearTimeout(conv.typingTimer);
  if (conv.typing) {
    conv.typingTimer = setTimeout(() => {
      conv.typing = false;
      if (detail.conversation_id === selectedId) showTyping(conv);
    }, 8000);
  }
  if (detail.conversation_id === selectedId) showTyping(conv);
});

socket.addEventListener('seen', ({ detail }) => {
  const conv = convs.get(detail.conversation_id);
  if (!conv || detail.role !== 'citizen') return;
  conv.citizenSeen = Math.max(conv.citizenSeen, Number(detail.seq) || 0);
  if (detail.conversation_id === selectedId) refreshStates(dom.transcript, conv.citizenSeen);
});

let wasOpen = false;
let outage = false;
socket.addEventListener('state', ({ detail }) => {
  dom.conn.dataset.state = detail.state;
  const key = { open: 'connected', connecting: 'connecting', offline: 'offline', stopped: 'stopped' }[detail.state];
  if (key) dom.connText.textContent = t(`console.conn.${key}`);
  if (detail.state === 'open') {
    if (outage) announce(t('console.conn.restored'));
    wasOpen = true;
    outage = false;
  } else if (detail.state === 'offline' && wasOpen && !outage) {
    outage = true;
    announce(t('console.conn.lost'), { error: true, timeout: 0 });
  }
  if (detail.code === 4401) {
    announce('', { timeout: 1 });
    sessionExpired();
  } else if (detail.code === 4403) {
    announce(t('console.conn.forbidden'), { error: true, timeout: 0 });
  }
});

socket.start();
