// Live view (/console/live, supervisors): the queue with ticking waits, each agent's presence,
// load and conversations. A snapshot on connect (/ws/live welcome), then the consoles' own
// channel-wide frames (queue, conversation, presence): waits and presence change at once, and
// a fresh snapshot follows any change of assignment so the page always equals a fresh fetch.

import { api } from './api.js';
import { formatDuration, formatTime, lang, t } from './i18n.js';
import './shell.js';
import { socketBase } from './socket.js';
import { $, clear, el } from './ui.js';

const LONG_WAIT_S = 120;
const state = { waiting: [], agents: [], unassigned: [], withAssistant: [], offset: 0 };
// Conversations with the assistant send no frame to consoles: the snapshot is fetched again
// this often while the page is visible.
const ASSISTANT_REFRESH_MS = 30000;
let ws = null;
let attempt = 0;
let lastRx = 0;
let heartbeat = 25;
let refetchTimer = null;
let hbTimer = null;

const now = () => Date.now() + state.offset; // server clock, so waits do not depend on the PC's
const since = (iso) => (now() - new Date(iso).getTime()) / 1000;

function setState(name) {
  const node = $('#lv-state');
  node.dataset.state = name;
  node.textContent = name === 'open'
    ? t('console.live.updated', { time: formatTime(new Date()) })
    : t(name === 'offline' ? 'console.live.reconnecting' : 'console.common.loading');
}

function channelText(c) {
  const key = `console.live.channel.${c}`;
  const text = t(key);
  return text === key ? String(c || '') : text;
}

function waitCell(iso) {
  return el('td', null, el('span', { class: 'lv-wait', dataset: { since: iso || '' } }));
}

function render() {
  const waiting = clear($('#lv-waiting'));
  for (const c of state.waiting) {
    waiting.appendChild(el('tr', { dataset: { testid: 'live-waiting-row', conversationId: c.id } },
      el('th', { scope: 'row' }, c.citizen_name || t('console.common.anonymous')),
      el('td', null, c.request_type_label || c.request_type || ''),
      el('td', null, channelText(c.channel)),
      el('td', null, el('time', { datetime: c.created_at }, formatTime(c.created_at))),
      waitCell(c.created_at)));
  }
  if (!state.waiting.length) {
    waiting.appendChild(el('tr', null, el('td', { colspan: '5', class: 'empty' }, t('console.live.no_waiting'))));
  }
  const agents = clear($('#lv-agents'));
  let online = 0;
  let active = state.unassigned.length;
  for (const a of state.agents) {
    if (a.presence !== 'disconnected') online += 1;
    active += a.active_chats;
    const convs = a.conversations.length
      ? el('ul', null, a.conversations.map((c) => el('li', { dataset: { conversationId: c.id } },
        `${c.citizen_name} — ${c.request_type_label} · `, el('span', { class: 'lv-wait', dataset: { since: c.taken_at || '' } }))))
      : t('console.live.none');
    agents.appendChild(el('tr', { dataset: { testid: 'live-agent-row', agentId: String(a.id) } },
      el('th', { scope: 'row' }, a.display_name),
      el('td', null, el('span', { class: 'presence-dot', dataset: { presence: a.presence }, 'aria-hidden': 'true' }), ' ',
        t(`console.presence.${a.presence}`)),
      el('td', null, t('console.live.load_value', { n: a.active_chats, max: a.max_chats })),
      el('td', null, convs)));
  }
  if (state.unassigned.length) {
    agents.appendChild(el('tr', null,
      el('th', { scope: 'row' }, t('console.live.unassigned')), el('td'), el('td', null, String(state.unassigned.length)),
      el('td', null, el('ul', null, state.unassigned.map((c) => el('li', null, `${c.citizen_name} — ${c.request_type_label}`))))));
  }
  if (!state.agents.length) {
    agents.appendChild(el('tr', null, el('td', { colspan: '4', class: 'empty' }, t('console.live.no_agents'))));
  }
  const bot = clear($('#lv-assistant'));
  for (const c of state.withAssistant) {
    bot.appendChild(el('tr', { dataset: { testid: 'live-assistant-row', conversationId: c.id } },
      el('th', { scope: 'row' }, c.citizen_name || t('console.common.anonymous')),
      el('td', null, c.request_type_label || ''),
      el('td', null, channelText(c.channel)),
      el('td', null, el('time', { datetime: c.created_at }, formatTime(c.created_at))),
      el('td', null, el('span', { class: 'lv-wait', dataset: { since: c.created_at } }))));
  }
  if (!state.withAssistant.length) {
    bot.appendChild(el('tr', null, el('td', { colspan: '5', class: 'empty' }, t('console.live.no_assistant'))));
  }
  $('#lv-assistant-count').textContent = String(state.withAssistant.length);
  $('#lv-waiting-count').textContent = String(state.waiting.length);
  $('#lv-active-count').textContent = String(active);
  $('#lv-online-count').textContent = String(online);
  tick();
}

// Every second: waits and durations move on. Not in a live region (it would talk every second).
function tick() {
  let longest = 0;
  for (const node of document.querySelectorAll('.lv-wait')) {
    const iso = node.dataset.since;
    if (!iso) continue;
    const s = since(iso);
    node.textContent = formatDuration(s);
    node.classList.toggle('lv-long', s >= LONG_WAIT_S && Boolean(node.closest('#lv-waiting')));
  }
  for (const c of state.waiting) longest = Math.max(longest, since(c.created_at));
  $('#lv-longest').textContent = state.waiting.length ? formatDuration(longest) : t('console.common.none');
}

function apply(snapshot) {
  state.offset = new Date(snapshot.server_time).getTime() - Date.now();
  state.waiting = snapshot.waiting || [];
  state.agents = snapshot.agents || [];
  state.unassigned = snapshot.unassigned || [];
  state.withAssistant = snapshot.with_assistant || [];
  render();
  if (ws && ws.readyState === 1) setState('open');
}

async function refetch() {
  try {
    apply(await api.get('/api/agent/live'));
  } catch {
    /* the socket's reconnect brings a new snapshot */
  }
}
function refetchSoon() {
  clearTimeout(refetchTimer);
  refetchTimer = setTimeout(refetch, 400);
}

function onFrame(f) {
  if (f.type === 'welcome') {
    attempt = 0;
    heartbeat = Math.max(5, Number(f.heartbeat_seconds) || 25);
    clearInterval(hbTimer);
    hbTimer = setInterval(() => {
      if (Date.now() - lastRx > heartbeat * 2900) ws && ws.close();
      else send({ type: 'ping' });
    }, heartbeat * 1000);
    apply(f.snapshot || {});
    return;
  }
  if (f.type === 'ping') return send({ type: 'pong' });
  if (f.type === 'queue' && f.conversation) {
    state.waiting = state.waiting.filter((c) => c.id !== f.conversation.id);
    if (f.action === 'added') state.waiting.push(f.conversation);
    state.waiting.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    render();
    refetchSoon();
  } else if (f.type === 'presence') {
    const a = state.agents.find((x) => x.id === f.agent_id);
    if (a) {
      a.presence = f.presence;
      a.active_chats = Number(f.active_chats) || 0;
      render();
    }
    refetchSoon(); // a load change means a conversation was taken, transferred or closed
  } else if (f.type === 'conversation') {
    refetchSoon();
  }
}

function send(frame) {
  if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
}

function connect() {
  const socket = new WebSocket(`${socketBase()}/ws/live`);
  ws = socket;
  setState(attempt ? 'offline' : 'connecting');
  socket.addEventListener('open', () => {
    lastRx = Date.now();
    socket.send(JSON.stringify({ type: 'hello', lang }));
  });
  socket.addEventListener('message', (ev) => {
    lastRx = Date.now();
    try {
      onFrame(JSON.parse(ev.data));
    } catch {
      /* not JSON: ignore */
    }
  });
  socket.addEventListener('close', (ev) => {
    if (socket !== ws) return;
    clearInterval(hbTimer);
    ws = null;
    setState('offline');
    if (ev.code === 4401) {
      location.href = '/login';
      return;
    }
    const wait = Math.min(10000, 500 * 2 ** attempt++) * (0.75 + Math.random() * 0.5);
    setTimeout(connect, wait);
  });
}

setInterval(tick, 1000);
setInterval(() => {
  if (document.visibilityState === 'visible' && ws && ws.readyState === 1) refetch();
}, ASSISTANT_REFRESH_MS);
connect();
