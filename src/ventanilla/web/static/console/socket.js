// Agent websocket client (/ws/agent): hello/welcome, subscriptions with
// per-conversation last_seq, dedupe and gap detection (resume), reconnection
// with backoff and jitter, heartbeats, and an outbox that resends unacknowledged
// messages with the same client_id after every reconnect (exactly once).

import { randomId } from './ui.js';

const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 10000;
const RESEND_AFTER_MS = 15000;
const RESUME_RETRY_MS = 5000;
// Errors after which a message will never be accepted as it is.
const FINAL_ERRORS = new Set([
  'frame_invalid', 'frame_too_large', 'message_empty', 'message_too_long',
  'invalid_characters', 'conversation_closed', 'not_assigned', 'not_found',
]);

/** Where this server's websockets are: its own listener when the page names one
 * (<meta name="ventanilla-sockets">, `ventanilla serve --sockets-port`), else this origin. */
export function socketBase() {
  const meta = document.querySelector('meta[name="ventanilla-sockets"]');
  if (meta && meta.content) return meta.content.replace(/\/$/, '');
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}`;
}

export class AgentSocket extends EventTarget {
  constructor({ lang, storageKey }) {
    super();
    this.lang = lang;
    this.storageKey = storageKey;
    this.ws = null;
    this.state = 'idle'; // idle | connecting | open | offline | stopped
    this.ready = false; // welcome received on the current socket
    this.attempt = 0;
    this.heartbeatSeconds = 25;
    this.lastReceived = 0;
    this.timers = { reconnect: null, heartbeat: null };
    this.seqs = new Map(); // conversation_id -> highest seq delivered
    this.subscribed = new Set(); // conversation ids subscribed on this socket
    this.resumes = new Map(); // conversation_id -> time a resume was sent
    this.outbox = this.loadOutbox();
  }

  get url() {
    return `${socketBase()}/ws/agent`;
  }

  start() {
    if (this.state === 'stopped') return;
    window.addEventListener('online', () => this.reconnectNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.reconnectNow();
    });
    this.connect();
  }

  stop() {
    this.setState('stopped');
    clearTimeout(this.timers.reconnect);
    clearInterval(this.timers.heartbeat);
    if (this.ws) this.ws.close(1000);
  }

  connect() {
    clearTimeout(this.timers.reconnect);
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.ready = false;
    ws.addEventListener('open', () => {
      this.lastReceived = Date.now();
      this.raw({ type: 'hello', lang: this.lang });
    });
    ws.addEventListener('message', (ev) => {
      if (ws !== this.ws) return;
      this.lastReceived = Date.now();
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (frame && typeof frame.type === 'string') this.handle(frame);
    });
    ws.addEventListener('close', (ev) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.ready = false;
      this.subscribed.clear();
      this.resumes.clear();
      clearInterval(this.timers.heartbeat);
      if (this.state === 'stopped') return;
      if (ev.code === 4401 || ev.code === 4403) {
        this.setState('stopped', { code: ev.code });
        return;
      }
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    this.setState('offline');
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2); // jitter
    clearTimeout(this.timers.reconnect);
    this.timers.reconnect = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.state === 'offline') {
      this.attempt = 0;
      this.connect();
    }
  }

  setState(state, detail = {}) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', { state, ...detail });
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  raw(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Frames that only make sense on a live, welcomed socket. */
  send(frame) {
    return this.ready ? this.raw(frame) : false;
  }

  handle(frame) {
    switch (frame.type) {
      case 'welcome':
        this.onWelcome(frame);
        break;
      case 'ping':
        this.raw({ type: 'pong' });
        break;
      case 'pong':
        break;
      case 'event':
        this.onEvent(frame);
        break;
      case 'ack':
        this.onAck(frame);
        break;
      case 'error':
        this.onError(frame);
        break;
      default:
        this.emit(frame.type, frame);
    }
  }

  onWelcome(frame) {
    this.ready = true;
    this.attempt = 0;
    const hb = Number(frame.heartbeat_seconds);
    this.heartbeatSeconds = hb > 0 ? hb : 25;
    this.startHeartbeat();
    this.setState('open');
    // The page reconciles its state first (it may subscribe or unsubscribe).
    this.emit('welcome', frame);
    for (const id of this.seqs.keys()) this.sendSubscribe(id);
    for (const entry of this.outbox) this.sendEntry(entry);
  }

  startHeartbeat() {
    clearInterval(this.timers.heartbeat);
    const period = this.heartbeatSeconds * 1000;
    this.timers.heartbeat = setInterval(() => {
      if (Date.now() - this.lastReceived > 3 * period) {
        // Nothing arrived for three heartbeats: the socket is dead.
        if (this.ws) this.ws.close(4000);
        return;
      }
      this.raw({ type: 'ping' });
      this.resendStale();
    }, period);
  }

  // --- conversations -------------------------------------------------------

  lastSeq(conversationId) {
    return this.seqs.get(conversationId) || 0;
  }

  /** Follow a conversation's events from lastSeq (replay, then live). */
  subscribe(conversationId, lastSeq = 0) {
    if (!this.seqs.has(conversationId)) this.seqs.set(conversationId, lastSeq);
    this.sendSubscribe(conversationId);
  }

  sendSubscribe(conversationId) {
    if (!this.ready || this.subscribed.has(conversationId)) return;
    this.subscribed.add(conversationId);
    this.send({ type: 'subscribe', conversation_id: conversationId, last_seq: this.lastSeq(conversationId) });
  }

  unsubscribe(conversationId) {
    this.seqs.delete(conversationId);
    this.resumes.delete(conversationId);
    if (this.subscribed.delete(conversationId)) {
      this.send({ type: 'unsubscribe', conversation_id: conversationId });
    }
  }

  onEvent(frame) {
    const id = frame.conversation_id;
    const seq = Number(frame.seq);
    if (!this.seqs.has(id)) return; // not following it (any more)
    const last = this.seqs.get(id);
    if (seq <= last) return; // duplicate (replay overlap, resend)
    if (seq > last + 1) {
      // Gap: ask for exactly what is missing; the events come again in order.
      const sentAt = this.resumes.get(id);
      if (!sentAt || Date.now() - sentAt > RESUME_RETRY_MS) {
        this.resumes.set(id, Date.now());
        this.send({ type: 'resume', conversation_id: id, last_seq: last });
      }
      return;
    }
    this.seqs.set(id, seq);
    this.resumes.delete(id);
    this.emit('event', frame);
  }

  // --- outbox --------------------------------------------------------------

  /** Queue a message (or internal note); sent now if connected, else after reconnect. */
  sendMessage(conversationId, body, internal = false) {
    const entry = {
      client_id: randomId(),
      conversation_id: conversationId,
      body,
      internal: Boolean(internal),
      created_at: new Date().toISOString(),
      sent_at: 0,
    };
    this.outbox.push(entry);
    this.saveOutbox();
    this.sendEntry(entry);
    return entry;
  }

  sendEntry(entry) {
    const frame = {
      type: 'message',
      conversation_id: entry.conversation_id,
      client_id: entry.client_id,
      body: entry.body,
    };
    if (entry.internal) frame.internal = true;
    if (this.send(frame)) entry.sent_at = Date.now();
  }

  /** Resend (same client_id) messages whose ack did not come on a live socket. */
  resendStale() {
    const now = Date.now();
    for (const entry of this.outbox) {
      if (entry.sent_at && now - entry.sent_at > RESEND_AFTER_MS) this.sendEntry(entry);
    }
  }

  pending(conversationId) {
    return this.outbox.filter((e) => e.conversation_id === conversationId);
  }

  takeEntry(clientId) {
    const index = this.outbox.findIndex((e) => e.client_id === clientId);
    if (index < 0) return null;
    const [entry] = this.outbox.splice(index, 1);
    this.saveOutbox();
    return entry;
  }

  onAck(frame) {
    const entry = this.takeEntry(frame.client_id);
    this.emit('ack', { ...frame, entry });
  }

  onError(frame) {
    if (frame.client_id) {
      const entry = this.outbox.find((e) => e.client_id === frame.client_id);
      if (entry && frame.code === 'rate_limited') {
        entry.sent_at = 0;
        setTimeout(() => this.sendEntry(entry), 2000);
      } else if (entry && FINAL_ERRORS.has(frame.code)) {
        this.takeEntry(frame.client_id);
        this.emit('failed', { ...frame, entry });
        return;
      }
    }
    this.emit('error', frame);
  }

  /** Drop a failed or unwanted message from the outbox. */
  discard(clientId) {
    return this.takeEntry(clientId);
  }

  loadOutbox() {
    try {
      const data = JSON.parse(sessionStorage.getItem(this.storageKey) || '[]');
      return Array.isArray(data) ? data.filter((e) => e && e.client_id && e.conversation_id) : [];
    } catch {
      return [];
    }
  }

  saveOutbox() {
    try {
      sessionStorage.setItem(this.storageKey, JSON.stringify(this.outbox));
    } catch {
      /* storage full or disabled: the outbox still lives in memory */
    }
  }

  // --- ephemeral frames ----------------------------------------------------

  typing(conversationId, active) {
    return this.send({ type: 'typing', conversation_id: conversationId, active: Boolean(active) });
  }

  seen(conversationId, seq) {
    return this.send({ type: 'seen', conversation_id: conversationId, seq });
  }
}
