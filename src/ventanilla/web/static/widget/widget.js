/* Ventanilla — citizen chat widget. Classic script, no dependencies.
 * Embed: <script src="https://HOST/widget.js" async></script>
 * Client side of docs/protocol.md (REST /api/widget/*, websocket /ws/widget).
 * Everything is rendered inside a Shadow DOM; data is only ever written with textContent. */
(() => {
  'use strict';
  if (window.Ventanilla) return;
  const W = (window.Ventanilla = { version: '1.0' });
  const d = document;
  const KEY = 'ventanilla:conversation';
  const OPEN_KEY = 'ventanilla:open';
  const me = d.currentScript || [].slice.call(d.querySelectorAll('script[src*="widget.js"]')).pop();
  if (!me || !me.src) return;
  const SRC = new URL(me.src, location.href);
  const ORIGIN = SRC.origin;
  const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
  const CHAT_ICON = 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9.5L4 22v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z';
  const X_ICON = 'M6 6l12 12M18 6L6 18';

  let lang = /^en\b/i.test(d.documentElement.lang || navigator.language || '') ? 'en' : 'es-CO';
  let cfg;
  let M = {};
  let maxChars = 4000;
  let nameMax = 120;

  // Conversation state
  let conv = null; // {id, token}
  let outbox = []; // [{client_id, body, at}] not yet acknowledged
  let byCid = {}; // client_id -> message element
  let lastSeq = 0; // highest event seq received on this page
  let seenSent = 0; // highest agent seq reported as seen
  let maxAgentSeq = 0;
  let agentSeen = 0; // highest seq the agent has seen
  let welcomeLast = 0;
  let status = null;
  let agentName = '';
  let ended = false;
  let pendingEnd = false;
  let surveyState = ''; // '' | 'checking' | 'open' | 'done' (rated or skipped)

  // Socket state
  let ws = null;
  let ready = false;
  let attempt = 0;
  let hb = 25;
  let lastRx = 0;
  let retryT, hbT, openT, seenT, typingT, idleT, noticeT, hushT;
  let hushed = false;
  let typingOn = false;
  let typingAt = 0;

  // UI
  let isOpen = false;
  let unread = 0;
  let busy = false;
  let root, wrap, launcher, badge, badgeNum, badgeSr, panel, sub, endBtn, statusEl, noticeEl;
  let formView, formErr, startBtn, privText, privLink, privWrap;
  let chatView, waitEl, log, typingEl, confirmEl, confirmQ, closedEl, newBtn, composer, input, counter, humanEl;
  let surveyEl, svHead, svComment, svErr, svSend, svThanks;
  const fbBoxes = {}; // seq of an automatic answer -> its "did it help?" buttons
  const officeEls = [];
  const f = {};
  const errs = {};
  const helps = {};

  const t = (k, v) =>
    String(M[k] == null ? k : M[k]).replace(/\{(\w+)\}/g, (m, n) => (v && v[n] != null ? v[n] : m));

  // ---- storage -------------------------------------------------------------------------------
  const lsGet = () => {
    try {
      return JSON.parse(localStorage.getItem(KEY));
    } catch (e) {
      return null;
    }
  };
  const save = () => {
    if (!conv) return;
    try {
      localStorage.setItem(
        KEY,
        JSON.stringify({ conversation_id: conv.id, token: conv.token, last_seq: lastSeq, seen_seq: seenSent, outbox, survey: surveyState === 'done' ? 'done' : '' })
      );
    } catch (e) {}
  };
  const clearStore = () => {
    try {
      localStorage.removeItem(KEY);
    } catch (e) {}
  };
  const ss = (v) => {
    try {
      if (v == null) return sessionStorage.getItem(OPEN_KEY);
      sessionStorage.setItem(OPEN_KEY, v);
    } catch (e) {}
  };

  // ---- DOM helpers -----------------------------------------------------------------------------
  function h(tag, attrs, kids) {
    const el = d.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    (kids || []).forEach((c) => c && el.appendChild(typeof c === 'string' ? d.createTextNode(c) : c));
    return el;
  }
  function icon(path) {
    const n = 'http://www.w3.org/2000/svg';
    const s = d.createElementNS(n, 'svg');
    const p = d.createElementNS(n, 'path');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    p.setAttribute('d', path);
    s.appendChild(p);
    return s;
  }
  const pad = (n) => String(n).padStart(2, '0');
  function hhmm(iso) {
    const x = iso ? new Date(iso) : new Date();
    return isNaN(x) ? '' : pad(x.getHours()) + ':' + pad(x.getMinutes());
  }
  function uuid() {
    const c = window.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    const b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
    return [].map.call(b, (x) => pad(x.toString(16))).join('');
  }
  const httpUrl = (u) => {
    try {
      return /^https?:$/.test(new URL(u).protocol) ? u : null;
    } catch (e) {
      return null;
    }
  };
  // Text with http(s) links turned into <a>; everything else stays a text node.
  function linkify(s) {
    const out = [];
    const re = /https?:\/\/[^\s<>"']+/gi;
    let i = 0;
    let m;
    s = String(s == null ? '' : s);
    while ((m = re.exec(s))) {
      const u = m[0].replace(/[.,;:!?)\]]+$/, '');
      if (m.index > i) out.push(s.slice(i, m.index));
      out.push(h('a', { href: u, target: '_blank', rel: 'noopener noreferrer', text: u }));
      i = re.lastIndex = m.index + u.length;
    }
    if (i < s.length) out.push(s.slice(i));
    return out;
  }

  // ---- colours: keep text on the entity colour readable (WCAG 1.4.3) ------------------------------
  const hex = (c) => {
    if (!/^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(c || '')) return null;
    return c.length === 4 ? '#' + c[1] + c[1] + c[2] + c[2] + c[3] + c[3] : c;
  };
  const lum = (c) => {
    const v = [1, 3, 5].map((i) => {
      const x = parseInt(c.substr(i, 2), 16) / 255;
      return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  };
  const ratio = (a, b) => {
    const x = lum(a);
    const y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };

  // ---- building the UI -------------------------------------------------------------------------
  function field(k, tag, attrs, help, kids) {
    const id = 'vt-' + k;
    f[k] = h(tag, Object.assign({ id, name: k, required: true }, attrs), kids);
    errs[k] = h('p', { class: 'err', id: id + '-err' });
    if (help) helps[k] = h('p', { class: 'help', id: id + '-help', text: help });
    describe(k);
    return h('div', { class: 'field' }, [h('label', { for: id, text: t('widget.form.' + k) }), f[k], helps[k], errs[k]]);
  }
  function describe(k) {
    const ids = [];
    if (helps[k]) ids.push(helps[k].id);
    if (errs[k].textContent) ids.push(errs[k].id);
    if (ids.length) f[k].setAttribute('aria-describedby', ids.join(' '));
    else f[k].removeAttribute('aria-describedby');
  }

  function build() {
    const th = cfg.theme || {};
    const tx = cfg.texts || {};
    const lim = cfg.limits || {};
    maxChars = lim.message_max_chars || 4000;
    nameMax = lim.name_max_chars || 120;
    const p = hex(th.primary_color) || '#1d4f91';
    let on = hex(th.text_on_primary) || '#ffffff';
    if (ratio(p, on) < 4.5) on = ratio(p, '#ffffff') >= ratio(p, '#000000') ? '#ffffff' : '#000000';

    const host = h('div', { 'data-ventanilla': '' });
    const hs = host.style;
    hs.setProperty('all', 'initial', 'important');
    hs.setProperty('position', 'fixed', 'important');
    hs.setProperty('z-index', '2147483000', 'important');
    hs.setProperty('top', '0', 'important');
    hs.setProperty('left', '0', 'important');
    hs.setProperty('width', '0', 'important');
    hs.setProperty('height', '0', 'important');
    root = host.attachShadow({ mode: 'open' });

    const link = h('link', { rel: 'stylesheet', href: ORIGIN + '/widget.css' + SRC.search });
    wrap = h('div', { class: 'vt ' + (th.position === 'left' ? 'left' : 'right'), lang: cfg.lang || lang });
    wrap.style.display = 'none';
    link.addEventListener('load', () => (wrap.style.display = ''));
    link.addEventListener('error', () => console.warn('Ventanilla: no se pudo cargar widget.css'));
    wrap.style.setProperty('--p', p);
    wrap.style.setProperty('--on', on);
    wrap.style.setProperty('--ring', ratio(p, '#ffffff') >= 4.5 ? p : '#1a1a1a');

    launcher = h(
      'button',
      {
        type: 'button',
        class: 'launcher',
        'aria-expanded': 'false',
        'aria-controls': 'vt-panel',
        'data-testid': 'vt-launcher',
        onclick: () => (isOpen ? close() : open()),
      },
      [
        icon(CHAT_ICON),
        h('span', { class: 'ltxt', text: tx.launcher || tx.title }),
        (badge = h('span', { class: 'badge', hidden: true }, [
          (badgeNum = h('span', { 'aria-hidden': 'true' })),
          (badgeSr = h('span', { class: 'sr' })),
        ])),
      ]
    );

    // Pre-chat form
    const types = (cfg.request_types || []).map((r) => h('option', { value: r.code, text: r.label }));
    types.unshift(h('option', { value: '', text: t('widget.form.type_placeholder') }));
    const policy = httpUrl((cfg.entity || {}).privacy_policy_url);
    f.privacy = h('input', { type: 'checkbox', id: 'vt-privacy', name: 'privacy', required: true, 'data-testid': 'vt-privacy' });
    errs.privacy = h('p', { class: 'err', id: 'vt-privacy-err' });
    privWrap = h('div', { class: 'field priv' }, [
      h('h3', { id: 'vt-priv-t', text: t('widget.form.privacy_title') }),
      (privText = h('div', { class: 'privtext', role: 'region', tabindex: '0', 'aria-labelledby': 'vt-priv-t' })),
      policy &&
        (privLink = h('a', {
          href: policy,
          target: '_blank',
          rel: 'noopener noreferrer',
          text: t('widget.form.privacy_link'),
        })),
      h('div', { class: 'check' }, [f.privacy, h('label', { for: 'vt-privacy', text: t('widget.form.privacy_accept') })]),
      errs.privacy,
    ]);
    describe('privacy');
    formView = h('div', { class: 'view scroll' }, [
      tx.welcome && h('p', { class: 'welcome', text: tx.welcome }),
      office(),
      h('form', { novalidate: true, onsubmit: submitForm }, [
        h('p', { class: 'hint', text: t('widget.form.required_note') }),
        field('name', 'input', { type: 'text', autocomplete: 'name', maxlength: nameMax, 'data-testid': 'vt-name' }),
        field(
          'email',
          'input',
          { type: 'email', autocomplete: 'email', spellcheck: 'false', 'data-testid': 'vt-email' },
          t('widget.form.email_help')
        ),
        field('type', 'select', { 'data-testid': 'vt-type' }, null, types),
        privWrap,
        h('div', { class: 'check' }, [
          (f.optout = h('input', { type: 'checkbox', id: 'vt-optout', name: 'optout', 'data-testid': 'vt-optout' })),
          h('label', { for: 'vt-optout', text: t('widget.form.transcript_optout') }),
        ]),
        (formErr = h('p', { class: 'err', role: 'alert' })),
        (startBtn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'vt-start', text: t('widget.form.start') })),
      ]),
    ]);
    setPrivacy(cfg.privacy_notice);

    // Conversation
    chatView = h('div', { class: 'view', hidden: true }, [
      (waitEl = h('div', { class: 'wait', hidden: true }, [h('p', { text: t('widget.waiting') }), office()])),
      (log = h('div', {
        class: 'log',
        role: 'log',
        'aria-live': 'polite',
        'aria-relevant': 'additions',
        'aria-label': t('widget.log_label'),
        tabindex: '0',
        'data-testid': 'vt-log',
      })),
      (typingEl = h('p', { class: 'typing', 'data-testid': 'vt-typing', hidden: true })),
      (confirmEl = h('div', { class: 'box', role: 'group', 'aria-labelledby': 'vt-cq', hidden: true }, [
        (confirmQ = h('p', { id: 'vt-cq', tabindex: '-1', text: t('widget.end_question') })),
        h('div', { class: 'row' }, [
          h('button', { type: 'button', class: 'primary', 'data-testid': 'vt-end-confirm', text: t('widget.end_confirm'), onclick: doEnd }),
          h('button', { type: 'button', class: 'secondary', text: t('widget.end_cancel'), onclick: cancelEnd }),
        ]),
      ])),
      survey(),
      (closedEl = h('div', { class: 'box', hidden: true }, [
        h('p', { text: t('widget.closed') }),
        (svThanks = h('p', { class: 'thanks', role: 'status', 'data-testid': 'vt-thanks' })),
        (newBtn = h('button', { type: 'button', class: 'primary', 'data-testid': 'vt-new', text: t('widget.new'), onclick: newConversation })),
      ])),
      (humanEl = h('div', { class: 'human', hidden: true }, [
        h('button', { type: 'button', class: 'secondary', 'data-testid': 'vt-human', text: t('widget.assistant.person'), onclick: askHuman }),
      ])),
      (composer = h('form', { class: 'composer', onsubmit: (e) => (e.preventDefault(), sendInput()) }, [
        h('label', { for: 'vt-input', class: 'sr', text: t('widget.input_label') }),
        (input = h('textarea', {
          id: 'vt-input',
          rows: '1',
          maxlength: maxChars,
          placeholder: t('widget.input_placeholder'),
          'aria-describedby': 'vt-hint vt-count',
          'data-testid': 'vt-input',
          oninput: onInput,
          onkeydown: onInputKey,
        })),
        h('button', { type: 'submit', class: 'primary', 'data-testid': 'vt-send', text: t('widget.send') }),
        h('span', { id: 'vt-hint', class: 'sr', text: t('widget.input_hint') }),
        (counter = h('p', { id: 'vt-count', class: 'count' })),
      ])),
    ]);

    panel = h(
      'div',
      { id: 'vt-panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'vt-title', 'data-testid': 'vt-panel', hidden: true },
      [
        h('div', { class: 'head' }, [
          h('div', { class: 'htxt' }, [h('h2', { id: 'vt-title', text: tx.title }), (sub = h('p', { class: 'sub' }))]),
          (endBtn = h('button', { type: 'button', class: 'hbtn end', 'data-testid': 'vt-end', hidden: true, text: t('widget.end'), onclick: askEnd })),
          h('button', { type: 'button', class: 'hbtn x', 'aria-label': t('widget.close'), onclick: () => close() }, [icon(X_ICON)]),
        ]),
        (statusEl = h('p', { class: 'status', role: 'status', 'data-testid': 'vt-status' })),
        (noticeEl = h('p', { class: 'notice', role: 'status' })),
        formView,
        chatView,
      ]
    );
    wrap.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || !isOpen) return;
      e.stopPropagation();
      if (!confirmEl.hidden) cancelEnd();
      else close();
    });
    wrap.appendChild(launcher);
    wrap.appendChild(panel);
    root.appendChild(link);
    root.appendChild(wrap);
    d.body.appendChild(host);
    setSub();
  }

  function office() {
    const oh = cfg.office_hours || {};
    const el = h('p', { class: 'office' });
    if (oh.open_now === false) el.textContent = t('widget.office_closed', { summary: oh.summary || '' });
    else if ((cfg.availability || {}).agents_available === false) el.textContent = t('widget.nobody_available');
    officeEls.push(el);
    return el;
  }
  function setPrivacy(pn) {
    privText.textContent = (pn && pn.text) || '';
    privText.scrollTop = 0;
  }
  function setSub() {
    sub.textContent =
      status === 'active' && agentName
        ? t('widget.attended_by', { name: agentName })
        : status === 'assistant'
        ? t('widget.assistant.attending')
        : (cfg.entity || {}).name || '';
  }
  function notice(msg, keep) {
    noticeEl.textContent = msg || '';
    clearTimeout(noticeT);
    if (msg && !keep) noticeT = setTimeout(() => (noticeEl.textContent = ''), 8000);
  }
  const inside = () => root.activeElement;

  // ---- open / close ----------------------------------------------------------------------------
  function open(quiet) {
    isOpen = true;
    panel.hidden = false;
    wrap.classList.add('open');
    launcher.setAttribute('aria-expanded', 'true');
    ss('1');
    setUnread(0);
    scheduleSeen();
    scrollDown(true);
    if (!quiet) focusFirst();
  }
  function close() {
    if (!isOpen) return;
    isOpen = false;
    panel.hidden = true;
    wrap.classList.remove('open');
    launcher.setAttribute('aria-expanded', 'false');
    ss('0');
    launcher.focus();
  }
  function focusFirst() {
    let el;
    if (!formView.hidden) el = ['name', 'email', 'type', 'privacy'].map((k) => f[k]).find((x) => x.getAttribute('aria-invalid')) || f.name;
    else if (!confirmEl.hidden) el = confirmQ;
    else if (!composer.hidden) el = input;
    else if (!surveyEl.hidden) el = svHead;
    else if (!closedEl.hidden) el = newBtn;
    else el = log;
    el.focus();
  }
  function setUnread(n) {
    unread = n;
    badge.hidden = !n;
    badgeNum.textContent = n > 99 ? '99+' : String(n);
    badgeSr.textContent = n ? t('widget.unread', { n }) : '';
  }

  // ---- views -----------------------------------------------------------------------------------
  function showChat(on) {
    formView.hidden = on;
    chatView.hidden = !on;
    endBtn.hidden = !on || status === 'closed';
  }
  function setStatus(s) {
    status = s;
    const closed = s === 'closed';
    const a = inside();
    waitEl.hidden = s !== 'waiting';
    humanEl.hidden = s !== 'assistant';
    composer.hidden = closed;
    closedEl.hidden = !closed;
    endBtn.hidden = closed || !conv;
    if (closed) {
      ended = true;
      confirmEl.hidden = true;
      showTyping(false);
      stopTyping();
      if (isOpen && a && (a === endBtn || composer.contains(a) || confirmEl.contains(a))) newBtn.focus();
      checkSurvey();
    } else surveyEl.hidden = true;
    setSub();
  }

  // ---- pre-chat form ---------------------------------------------------------------------------
  function setErr(k, msg) {
    errs[k].textContent = msg || '';
    if (msg) f[k].setAttribute('aria-invalid', 'true');
    else f[k].removeAttribute('aria-invalid');
    describe(k);
  }
  function showErrs(bad) {
    const order = ['name', 'email', 'type', 'privacy'];
    order.forEach((k) => setErr(k, bad[k]));
    const first = order.find((k) => bad[k]);
    if (first) f[first].focus();
    return !!first;
  }
  function submitForm(e) {
    e.preventDefault();
    if (busy) return;
    formErr.textContent = '';
    notice('');
    const name = f.name.value.trim();
    const email = f.email.value.trim();
    const bad = {};
    if (!name) bad.name = t('widget.error.name_required');
    else if (name.length > nameMax) bad.name = t('widget.error.name_too_long', { max: nameMax });
    if (!email) bad.email = t('widget.error.email_required');
    else if (!EMAIL.test(email)) bad.email = t('widget.error.email_invalid');
    if (!f.type.value) bad.type = t('widget.error.type_required');
    if (!f.privacy.checked) bad.privacy = t('widget.error.privacy_required');
    if (showErrs(bad)) return;
    busy = true;
    startBtn.textContent = t('widget.form.starting');
    startBtn.setAttribute('aria-disabled', 'true');
    const done = () => {
      busy = false;
      startBtn.textContent = t('widget.form.start');
      startBtn.removeAttribute('aria-disabled');
    };
    const body = {
      name,
      email,
      request_type: f.type.value,
      privacy_accepted: true,
      privacy_version: (cfg.privacy_notice || {}).version,
      page_url: location.href,
      lang: cfg.lang || lang,
      transcript_opt_out: !!f.optout.checked,
    };
    fetch(ORIGIN + '/api/widget/conversations', {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', 'Accept-Language': cfg.lang || lang },
      body: JSON.stringify(body),
    })
      .then((r) => r.json().catch(() => ({})).then((j) => [r.ok, j]))
      .then(
        ([ok, j]) => {
          done();
          if (ok && j.token) start(j);
          else serverError(j.error || {});
        },
        () => {
          done();
          formErr.textContent = t('widget.error.network');
        }
      );
  }
  function serverError(e) {
    const c = String(e.code || '');
    const msg = e.message || t('widget.error.generic');
    const map = { name: 'name', email: 'email', request_type: 'type', privacy_accepted: 'privacy', privacy_version: 'privacy' };
    const k = /^name_/.test(c)
      ? 'name'
      : /^email_/.test(c)
      ? 'email'
      : /^request_type_/.test(c)
      ? 'type'
      : /^privacy_/.test(c)
      ? 'privacy'
      : map[e.field];
    if (c === 'privacy_version_outdated') {
      f.privacy.checked = false;
      loadConfig().then((c2) => {
        cfg.privacy_notice = c2.privacy_notice;
        setPrivacy(c2.privacy_notice);
      }, () => {});
    }
    if (k) showErrs({ [k]: msg });
    else formErr.textContent = msg;
  }
  function start(j) {
    resetConversation();
    conv = { id: j.conversation_id, token: j.token };
    save();
    showChat(true);
    setStatus(j.status || 'waiting');
    connect();
    input.focus();
  }
  function resetConversation() {
    closeSocket();
    conv = null;
    outbox = [];
    byCid = {};
    lastSeq = seenSent = maxAgentSeq = agentSeen = welcomeLast = attempt = 0;
    status = null;
    agentName = '';
    ended = pendingEnd = false;
    surveyState = '';
    surveyEl.hidden = true;
    svThanks.textContent = '';
    log.textContent = '';
    statusEl.textContent = '';
    confirmEl.hidden = true;
    showTyping(false);
    setUnread(0);
  }
  function newConversation() {
    resetConversation();
    clearStore();
    f.privacy.checked = false;
    setStatus(null);
    showChat(false);
    setSub();
    f.name.focus();
  }
  function expire() {
    resetConversation();
    clearStore();
    setStatus(null);
    showChat(false);
    notice(t('widget.session_expired'), true);
    if (isOpen && inside()) f.name.focus();
  }

  // ---- messages --------------------------------------------------------------------------------
  function place(el, seq) {
    let n = log.lastChild;
    while (n && (!n.dataset.seq || +n.dataset.seq > seq)) n = n.previousSibling;
    log.insertBefore(el, n ? n.nextSibling : log.firstChild);
  }
  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }
  function scrollDown(force) {
    if (force || nearBottom()) log.scrollTop = log.scrollHeight;
  }
  function msgEl(role, name, body, at) {
    const meta = h('p', { class: 'meta' }, [
      h('span', { class: 'who', text: name }),
      role === 'assistant' && h('span', { class: 'auto', 'data-testid': 'vt-auto', text: ' · ' + t('widget.assistant.automatic') }),
      ' · ',
      h('time', { datetime: at || null, text: hhmm(at) }),
      role === 'citizen' && h('span', { class: 'st' }),
    ]);
    return h('div', { class: 'msg ' + role, 'data-testid': 'vt-msg', 'data-role': role, 'data-seq': '' }, [
      meta,
      h('p', { class: 'body' }, linkify(body)),
    ]);
  }
  function setState(el, st) {
    el.setAttribute('data-state', st);
    const s = el.querySelector('.st');
    if (s) s.textContent = ' · ' + t('widget.state.' + st);
  }
  function ownState(el) {
    const s = +el.dataset.seq;
    if (el.getAttribute('data-state') !== 'failed') setState(el, !s ? 'sending' : agentSeen >= s ? 'seen' : 'sent');
  }
  function setSeq(el, seq, at) {
    el.setAttribute('data-seq', seq);
    if (at) {
      const tm = el.querySelector('time');
      tm.setAttribute('datetime', at);
      tm.textContent = hhmm(at);
    }
  }
  function refreshSeen() {
    log.querySelectorAll('.msg.citizen').forEach(ownState);
  }
  function note(seq, text) {
    const el = h('p', { class: 'note', 'data-testid': 'vt-note', 'data-seq': seq, text });
    place(el, seq);
  }
  function pendingEl(item) {
    const el = msgEl('citizen', t('widget.you'), item.body, item.at);
    byCid[item.client_id] = el;
    setState(el, 'sending');
    log.appendChild(el);
    return el;
  }
  const dropOutbox = (cid) => (outbox = outbox.filter((i) => i.client_id !== cid));

  // The history replayed after a page load is not read aloud; live events are.
  function hush() {
    hushed = true;
    log.setAttribute('aria-live', 'off');
    clearTimeout(hushT);
    hushT = setTimeout(() => {
      hushed = false;
      log.setAttribute('aria-live', 'polite');
    }, 700);
  }

  function onEvent(ev) {
    if (typeof ev.seq !== 'number' || ev.seq <= lastSeq) return; // dedupe
    lastSeq = ev.seq;
    const a = ev.author || {};
    const data = ev.data || {};
    const live = ev.seq > welcomeLast;
    if (hushed && !live) hush();
    const stick = nearBottom();
    if (ev.kind === 'message') {
      if (a.role === 'citizen') {
        let el = ev.client_id && byCid[ev.client_id];
        if (ev.client_id) dropOutbox(ev.client_id);
        if (!el) {
          el = msgEl('citizen', t('widget.you'), ev.body, ev.created_at);
          if (ev.client_id) byCid[ev.client_id] = el;
          setSeq(el, ev.seq);
          place(el, ev.seq);
        } else setSeq(el, ev.seq, ev.created_at);
        ownState(el);
      } else {
        const bot = a.role === 'assistant';
        const el = msgEl(bot ? 'assistant' : 'agent', a.name || agentName || t('widget.agent'), ev.body, ev.created_at);
        if (bot && data.ask_feedback) el.appendChild((fbBoxes[ev.seq] = feedbackEl(ev.seq)));
        setSeq(el, ev.seq);
        place(el, ev.seq);
        maxAgentSeq = Math.max(maxAgentSeq, ev.seq);
        if (a.role === 'agent' && ev.seq > agentSeen) {
          agentSeen = ev.seq; // the agent's reply means it has seen what came before (the server stores it so)
          refreshSeen();
        }
        if (live) showTyping(false);
        if (ev.seq > seenSent && !(isOpen && d.visibilityState === 'visible')) setUnread(unread + 1);
      }
    } else if (ev.kind === 'choices') {
      const el = msgEl('assistant', a.name || '', ev.body, ev.created_at);
      el.appendChild(choicesEl(data.options || []));
      setSeq(el, ev.seq);
      place(el, ev.seq);
    } else if (ev.kind === 'feedback') {
      const box = fbBoxes[data.seq];
      if (box) box.remove();
      note(ev.seq, t(data.helpful ? 'widget.event.feedback_yes' : 'widget.event.feedback_no'));
    } else if (ev.kind === 'handover') {
      const el = msgEl('assistant', a.name || '', ev.body, ev.created_at);
      setSeq(el, ev.seq);
      place(el, ev.seq);
      note(ev.seq, t('widget.event.handover'));
      if (live && status === 'assistant') setStatus('waiting');
    } else if (ev.kind === 'joined') {
      const n = data.agent_name || a.name || '';
      note(ev.seq, t('widget.event.joined', { name: n }));
      if (live) {
        agentName = n || agentName;
        setStatus('active');
      }
    } else if (ev.kind === 'transferred') {
      const n = data.to_name || '';
      note(ev.seq, t('widget.event.transferred', { name: n, from: data.from_name || '' }));
      if (live) {
        agentName = n || agentName;
        setSub();
      }
    } else if (ev.kind === 'filed' || ev.kind === 'reopened') {
      note(ev.seq, ev.body || t('widget.event.reopened'));
      if (live && ev.kind === 'reopened') setStatus('waiting');
    } else if (ev.kind === 'closed') {
      note(ev.seq, data.by === 'citizen' ? t('widget.event.closed_citizen') : t('widget.event.closed_agent', { name: a.name || agentName }));
      setStatus('closed');
      outbox.forEach((i) => byCid[i.client_id] && setState(byCid[i.client_id], 'failed'));
      outbox = [];
    }
    save();
    scrollDown(stick);
    scheduleSeen();
  }

  // ---- assistant: "did it help?", choices, and a person one click away ---------------------------
  function feedbackEl(seq) {
    const q = 'vt-fb-' + seq;
    const answer = (helpful) => {
      if (send({ type: 'feedback', seq, helpful })) box.querySelectorAll('button').forEach((b) => (b.disabled = true));
    };
    const box = h('div', { class: 'fb', role: 'group', 'aria-labelledby': q }, [
      h('p', { id: q, text: t('widget.assistant.helpful') }),
      h('div', { class: 'row' }, [
        h('button', { type: 'button', class: 'secondary', 'data-testid': 'vt-fb-yes', text: t('widget.assistant.yes'), onclick: () => answer(true) }),
        h('button', { type: 'button', class: 'secondary', 'data-testid': 'vt-fb-no', text: t('widget.assistant.no'), onclick: () => answer(false) }),
      ]),
    ]);
    return box;
  }
  function choicesEl(options) {
    const box = h('div', { class: 'choices row' });
    const pick = (frame) => {
      if (send(frame)) box.querySelectorAll('button').forEach((b) => (b.disabled = true));
    };
    options.forEach((o) =>
      box.appendChild(
        h('button', { type: 'button', class: 'secondary', 'data-testid': 'vt-choice', 'data-entry': o.entry_id, text: o.question, onclick: () => pick({ type: 'choose', entry_id: o.entry_id }) })
      )
    );
    box.appendChild(h('button', { type: 'button', class: 'secondary', 'data-testid': 'vt-choice-none', text: t('widget.assistant.none'), onclick: () => pick({ type: 'human' }) }));
    return box;
  }
  function askHuman() {
    if (send({ type: 'human' })) humanEl.hidden = true;
    else notice(t('widget.status.offline'));
  }

  function sendInput() {
    const body = input.value.trim();
    if (!body || !conv || status === 'closed') return;
    const item = { client_id: uuid(), body, at: new Date().toISOString() };
    outbox.push(item);
    save();
    pendingEl(item);
    scrollDown(true);
    input.value = '';
    grow();
    stopTyping();
    input.focus();
    if (ready) push(item);
  }
  const push = (item) => send({ type: 'message', client_id: item.client_id, body: item.body });

  function onAck(fr) {
    const el = byCid[fr.client_id];
    dropOutbox(fr.client_id);
    save();
    if (el && typeof fr.seq === 'number') {
      setSeq(el, fr.seq, fr.created_at);
      ownState(el);
    }
  }
  function onError(fr) {
    notice(fr.message || t('widget.error.generic'));
    const item = fr.client_id && outbox.find((i) => i.client_id === fr.client_id);
    if (!item) return;
    if (fr.code === 'rate_limited') {
      // Not stored: retry later with the same client_id.
      setTimeout(() => ready && outbox.indexOf(item) >= 0 && push(item), 3000 + Math.random() * 2000);
      return;
    }
    dropOutbox(item.client_id);
    save();
    const el = byCid[item.client_id];
    if (el) setState(el, 'failed');
    if (!input.value && !composer.hidden) {
      input.value = item.body;
      grow();
    }
  }

  // ---- typing & seen ---------------------------------------------------------------------------
  function showTyping(on, name) {
    clearTimeout(typingT);
    typingEl.hidden = !on;
    typingEl.textContent = on ? t('widget.typing', { name: name || agentName || t('widget.agent') }) : '';
    if (on) typingT = setTimeout(() => showTyping(false), 10000);
  }
  function stopTyping() {
    clearTimeout(idleT);
    if (typingOn) send({ type: 'typing', active: false });
    typingOn = false;
  }
  function onInput() {
    grow();
    if (!input.value.trim()) return stopTyping();
    const now = Date.now();
    if (!typingOn || now - typingAt > 2500) {
      typingOn = send({ type: 'typing', active: true });
      typingAt = now;
    }
    clearTimeout(idleT);
    idleT = setTimeout(stopTyping, 3000);
  }
  function onInputKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendInput();
    }
  }
  function grow() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 120) + 'px';
    const left = maxChars - input.value.length;
    counter.textContent = left <= 200 ? t('widget.chars_left', { n: left }) : '';
  }
  function scheduleSeen() {
    clearTimeout(seenT);
    seenT = setTimeout(() => {
      if (ready && isOpen && d.visibilityState === 'visible' && maxAgentSeq > seenSent) {
        seenSent = maxAgentSeq;
        send({ type: 'seen', seq: seenSent });
        setUnread(0);
        save();
      }
    }, 100);
  }


  // ---- satisfaction survey (docs/protocol.md, "Rating") -----------------------------------------
  function survey() {
    const opts = (name, list) =>
      list.map(([v, label]) =>
        h('label', { class: 'opt' }, [h('input', { type: 'radio', name, value: v, 'data-testid': name + '-' + v }), h('span', { text: label })])
      );
    return (surveyEl = h('form', { class: 'box survey', hidden: true, novalidate: true, 'aria-labelledby': 'vt-sv-t', 'data-testid': 'vt-survey', onsubmit: sendRating }, [
      (svHead = h('h3', { id: 'vt-sv-t', tabindex: '-1', text: t('widget.survey.title') })),
      (svErr = h('p', { class: 'err', role: 'alert' })),
      h('fieldset', {}, [h('legend', { text: t('widget.survey.score') }), h('div', { class: 'opts' }, opts('vt-score', [1, 2, 3, 4, 5].map((n) => [n, t('widget.survey.s' + n)])))]),
      h('fieldset', {}, [h('legend', { text: t('widget.survey.resolved') }), h('div', { class: 'opts' }, opts('vt-resolved', [['yes', t('widget.survey.yes')], ['no', t('widget.survey.no')]]))]),
      h('label', { for: 'vt-comment', text: t('widget.survey.comment') }),
      (svComment = h('textarea', { id: 'vt-comment', rows: '2', maxlength: 1000, 'aria-describedby': 'vt-comment-h', 'data-testid': 'vt-comment' })),
      h('p', { class: 'help', id: 'vt-comment-h', text: t('widget.survey.comment_hint', { max: 1000 }) }),
      h('div', { class: 'row' }, [
        (svSend = h('button', { type: 'submit', class: 'primary', 'data-testid': 'vt-rate', text: t('widget.survey.send') })),
        h('button', { type: 'button', class: 'secondary', 'data-testid': 'vt-skip', text: t('widget.survey.skip'), onclick: () => doneSurvey('') }),
      ]),
    ]));
  }
  const api = (method, path, body) =>
    fetch(ORIGIN + '/api/widget/' + path, {
      method,
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', 'Accept-Language': cfg.lang || lang, Authorization: 'Bearer ' + conv.token },
      body: body && JSON.stringify(body),
    }).then((r) => r.json().catch(() => ({})).then((j) => [r.ok, j]));
  // Ask once per closed conversation whether it can still be rated (it may be, after a reload).
  function checkSurvey() {
    if (surveyState || !conv) return;
    surveyState = 'checking';
    const id = conv.id;
    api('GET', 'rating').then(
      ([ok, j]) => {
        if (!conv || conv.id !== id) return;
        if (!ok || !j.can_rate) return (surveyState = 'done');
        surveyState = 'open';
        const a = inside();
        surveyEl.hidden = false;
        if (isOpen && (!a || a === newBtn)) svHead.focus();
      },
      () => (surveyState = '')
    );
  }
  function sendRating(e) {
    e.preventDefault();
    if (busy) return;
    const fd = new FormData(surveyEl);
    const score = +fd.get('vt-score');
    const res = fd.get('vt-resolved');
    const miss = !score ? 'score' : !res ? 'resolved' : '';
    svErr.textContent = miss ? t('widget.survey.' + miss + '_required') : '';
    if (miss) {
      surveyEl.scrollTop = 0; // the message is at the top, under the title
      return surveyEl.querySelector('[name=vt-' + miss + ']').focus({ preventScroll: true });
    }
    busy = true;
    svSend.textContent = t('widget.survey.sending');
    svSend.setAttribute('aria-disabled', 'true');
    const done = () => {
      busy = false;
      svSend.textContent = t('widget.survey.send');
      svSend.removeAttribute('aria-disabled');
    };
    api('POST', 'rating', { score, resolved: res === 'yes', comment: svComment.value.trim() || null }).then(
      ([ok, j]) => {
        done();
        const err = j.error || {};
        if (ok) doneSurvey(t('widget.survey.thanks'));
        else if (err.code === 'already_rated') doneSurvey(err.message);
        else svErr.textContent = err.message || t('widget.error.generic');
      },
      () => {
        done();
        svErr.textContent = t('widget.error.network');
      }
    );
  }
  function doneSurvey(msg) {
    surveyState = 'done';
    save();
    surveyEl.hidden = true;
    svThanks.textContent = msg;
    if (isOpen) newBtn.focus();
  }

  // ---- end -------------------------------------------------------------------------------------
  function askEnd() {
    confirmEl.hidden = false;
    composer.hidden = true;
    confirmQ.focus();
  }
  function cancelEnd() {
    confirmEl.hidden = true;
    composer.hidden = status === 'closed';
    (composer.hidden ? newBtn : input).focus();
  }
  function doEnd() {
    confirmEl.hidden = true;
    composer.hidden = status === 'closed';
    if (ready) send({ type: 'end' });
    else {
      pendingEnd = true;
      notice(t('widget.status.offline'));
    }
    if (!composer.hidden) input.focus();
  }

  // ---- websocket -------------------------------------------------------------------------------
  function send(o) {
    if (!ready || !ws || ws.readyState !== 1) return false;
    try {
      ws.send(JSON.stringify(o));
      return true;
    } catch (e) {
      return false;
    }
  }
  function connect() {
    clearTimeout(retryT);
    if (!conv || ws || ended) return;
    let s;
    try {
      // this server's origin, or the websockets' own listener when the config names one
      s = new WebSocket((cfg.socket_url || ORIGIN.replace(/^http/, 'ws')) + '/ws/widget');
    } catch (e) {
      return retry();
    }
    ws = s;
    ready = false;
    lastRx = Date.now();
    clearTimeout(openT);
    openT = setTimeout(() => s === ws && !ready && drop(), 15000);
    s.onopen = () => {
      if (s === ws) s.send(JSON.stringify({ type: 'hello', token: conv.token, last_seq: lastSeq, lang: cfg.lang || lang }));
    };
    s.onmessage = (e) => {
      if (s !== ws) return;
      lastRx = Date.now();
      let fr;
      try {
        fr = JSON.parse(e.data);
      } catch (x) {
        return;
      }
      if (fr && typeof fr === 'object') onFrame(fr);
    };
    s.onclose = (e) => {
      if (s !== ws) return;
      ws = null;
      ready = false;
      stopHb();
      if (e.code === 4401) return expire();
      if (e.code === 4403) {
        ended = true;
        return notice(t('widget.error.unavailable'));
      }
      retry();
    };
  }
  function stopHb() {
    clearInterval(hbT);
    clearTimeout(openT);
  }
  function closeSocket() {
    const s = ws;
    ws = null;
    ready = false;
    stopHb();
    clearTimeout(retryT);
    if (s) {
      try {
        s.close(1000);
      } catch (e) {}
    }
  }
  function drop() {
    closeSocket();
    retry();
  }
  function retry() {
    clearTimeout(retryT);
    if (!conv || ended) return (statusEl.textContent = '');
    statusEl.textContent = t('widget.status.offline');
    const base = Math.min(10000, 500 * Math.pow(2, attempt++));
    retryT = setTimeout(connect, Math.min(10000, base * (0.75 + Math.random() * 0.5)));
  }
  function onFrame(fr) {
    switch (fr.type) {
      case 'welcome':
        return onWelcome(fr);
      case 'event':
        return onEvent(fr);
      case 'ack':
        return onAck(fr);
      case 'typing':
        if (fr.role !== 'citizen') showTyping(!!fr.active, fr.name);
        return;
      case 'seen':
        if (fr.role !== 'citizen') {
          agentSeen = Math.max(agentSeen, +fr.seq || 0);
          refreshSeen();
        }
        return;
      case 'ping':
        return send({ type: 'pong' });
      case 'error':
        return onError(fr);
    }
  }
  function onWelcome(fr) {
    const c = fr.conversation || {};
    ready = true;
    attempt = 0;
    clearTimeout(openT);
    statusEl.textContent = '';
    hb = Math.max(5, +fr.heartbeat_seconds || 25);
    clearInterval(hbT);
    hbT = setInterval(() => {
      if (Date.now() - lastRx > hb * 2900) drop(); // three heartbeats without a word
      else send({ type: 'ping' });
    }, hb * 1000);
    if (!lastSeq && c.last_seq) hush();
    welcomeLast = c.last_seq || 0;
    agentName = c.agent_name || agentName;
    agentSeen = Math.max(agentSeen, c.agent_seen_seq || 0);
    setStatus(c.status || status || 'waiting');
    if (status === 'closed') {
      outbox.forEach((i) => byCid[i.client_id] && setState(byCid[i.client_id], 'failed'));
      outbox = [];
      save();
    }
    refreshSeen();
    outbox.forEach(push); // exactly once: same client_id after every reconnect
    if (pendingEnd && status !== 'closed') send({ type: 'end' });
    pendingEnd = false;
    scheduleSeen();
  }
  function reconnectNow() {
    if (conv && !ws && !ended) {
      attempt = 0;
      connect();
    }
  }

  // ---- start -----------------------------------------------------------------------------------
  const loadConfig = () =>
    fetch(ORIGIN + '/api/widget/config?lang=' + encodeURIComponent(lang), { credentials: 'omit' }).then((r) =>
      r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status))
    );

  function restore() {
    const st = lsGet();
    if (!st || typeof st.conversation_id !== 'string' || typeof st.token !== 'string') return;
    conv = { id: st.conversation_id, token: st.token };
    seenSent = +st.seen_seq || 0;
    surveyState = st.survey === 'done' ? 'done' : '';
    outbox = (Array.isArray(st.outbox) ? st.outbox : []).filter(
      (i) => i && typeof i.client_id === 'string' && typeof i.body === 'string'
    );
    outbox.forEach(pendingEl);
    showChat(true);
    setStatus(null);
    connect();
  }

  function init(c) {
    cfg = c || {};
    M = cfg.messages || {};
    build();
    if (me.dataset.link) return standalone(me.dataset.link);
    restore();
    if (ss() === '1') open(true);
    // Another tab of the site started or dropped a conversation: follow it.
    window.addEventListener('storage', (e) => {
      if (e.key !== KEY && e.key !== null) return;
      const st = lsGet();
      if ((st && st.conversation_id) === (conv && conv.id)) return;
      resetConversation();
      setStatus(null);
      showChat(false);
      restore();
    });
    window.addEventListener('online', reconnectNow);
    window.addEventListener('offline', () => {
      if (conv && !ended) {
        statusEl.textContent = t('widget.status.offline');
        if (ws) drop();
      }
    });
    d.addEventListener('visibilitychange', () => {
      if (d.visibilityState === 'visible') {
        reconnectNow();
        scheduleSeen();
      }
    });
    W.open = () => open();
    W.close = close;
  }

  // Opened from an emailed link on the server's own page: the link buys a token for this tab.
  function standalone(link) {
    wrap.classList.add('standalone');
    fetch(ORIGIN + '/api/widget/link', {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', 'Accept-Language': cfg.lang || lang },
      body: JSON.stringify({ link }),
    })
      .then((r) => r.json().then((j) => [r.ok, j]))
      .then(([ok, j]) => {
        if (ok && j.token) {
          conv = { id: j.conversation_id, token: j.token };
          save();
        }
        restore();
        open(true);
        if (!ok) statusEl.textContent = (j.error || {}).message || t('widget.error.generic');
      }, () => {
        open(true);
        statusEl.textContent = t('widget.error.network');
      });
  }

  loadConfig().then(
    (c) => {
      if (d.body) init(c);
      else d.addEventListener('DOMContentLoaded', () => init(c));
    },
    (e) => console.warn('Ventanilla: configuración no disponible', e)
  );
})();
