// Transfer and close dialogs of the workspace (native <dialog>, focus returns
// to the button that opened them).

import { api } from './api.js';
import { t } from './i18n.js';
import { clear, currentUser, el, openDialog } from './ui.js';

function showError(node, message) {
  node.textContent = message || '';
  node.hidden = !message;
}

function bindCancel(dialog) {
  for (const button of dialog.querySelectorAll('[data-close]')) {
    button.addEventListener('click', () => dialog.close('cancel'));
  }
}

export class TransferDialog {
  constructor({ onDone }) {
    this.dialog = document.getElementById('transfer-dialog');
    this.form = document.getElementById('transfer-form');
    this.agents = document.getElementById('transfer-agents');
    this.error = document.getElementById('transfer-error');
    this.confirm = document.getElementById('transfer-confirm');
    this.onDone = onDone;
    this.conversation = null;
    bindCancel(this.dialog);
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.submit();
    });
  }

  async open(conversation) {
    this.conversation = conversation;
    showError(this.error, '');
    clear(this.agents).appendChild(el('p', { class: 'hint' }, t('console.common.loading')));
    this.confirm.disabled = true;
    openDialog(this.dialog, this.dialog.querySelector('[data-close]'));
    let list = [];
    try {
      list = await api.get('/api/agent/agents');
    } catch (err) {
      clear(this.agents);
      showError(this.error, err.message);
      return;
    }
    const me = currentUser().id;
    const available = (list || []).filter((a) => String(a.id) !== String(me)
      && a.presence === 'available'
      && !(a.max_chats && a.active_chats >= a.max_chats));
    clear(this.agents);
    if (!available.length) {
      this.agents.appendChild(el('p', { class: 'hint' }, t('console.transfer.none')));
      return;
    }
    available.forEach((agent, index) => {
      const id = `transfer-agent-${agent.id}`;
      this.agents.appendChild(el('div', { class: 'radio' },
        el('input', {
          type: 'radio', name: 'agent_id', id, value: String(agent.id), required: true,
          checked: index === 0, dataset: { testid: 'transfer-agent' },
        }),
        el('label', { for: id }, agent.display_name || '',
          el('span', { class: 'hint' }, ' — ', t('console.transfer.load', {
            active: agent.active_chats ?? 0, max: agent.max_chats ?? '?',
          })))));
    });
    this.confirm.disabled = false;
    this.agents.querySelector('input')?.focus();
  }

  async submit() {
    const chosen = this.form.querySelector('input[name="agent_id"]:checked');
    if (!chosen || !this.conversation) return;
    this.confirm.disabled = true;
    showError(this.error, '');
    const agentId = Number(chosen.value) || chosen.value;
    const name = chosen.labels[0]?.firstChild?.textContent || '';
    try {
      const summary = await api.post(
        `/api/agent/conversations/${encodeURIComponent(this.conversation.id)}/transfer`,
        { agent_id: agentId });
      this.dialog.close('confirm');
      this.onDone(this.conversation, summary, name);
    } catch (err) {
      showError(this.error, err.message);
    } finally {
      this.confirm.disabled = false;
    }
  }
}

export class CloseDialog {
  constructor({ onDone }) {
    this.dialog = document.getElementById('close-dialog');
    this.form = document.getElementById('close-form');
    this.type = document.getElementById('close-type');
    this.topic = document.getElementById('close-topic');
    this.error = document.getElementById('close-error');
    this.confirm = document.getElementById('close-confirm');
    this.onDone = onDone;
    this.conversation = null;
    bindCancel(this.dialog);
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.submit();
    });
  }

  open(conversation) {
    this.conversation = conversation;
    showError(this.error, '');
    this.type.value = conversation.request_type || this.type.options[0]?.value || '';
    this.topic.value = conversation.topic || '';
    this.topic.removeAttribute('aria-invalid');
    openDialog(this.dialog, this.topic);
  }

  async submit() {
    if (!this.conversation) return;
    this.confirm.disabled = true;
    showError(this.error, '');
    try {
      const summary = await api.post(
        `/api/agent/conversations/${encodeURIComponent(this.conversation.id)}/close`,
        { request_type: this.type.value, topic: this.topic.value.trim() });
      this.dialog.close('confirm');
      this.onDone(this.conversation, summary);
    } catch (err) {
      showError(this.error, err.message);
      if (err.field === 'topic') this.topic.setAttribute('aria-invalid', 'true');
    } finally {
      this.confirm.disabled = false;
    }
  }
}
