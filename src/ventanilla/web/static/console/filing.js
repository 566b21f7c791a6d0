// "Radicar PQRSD": file the selected conversation as a petition (number, due date, constancia).
// The selected conversation is the tab marked aria-current in the workspace. The types, with
// the entity's names and terms, are read from /api/agent/case-types when the dialog opens.
import { api } from './api.js';
import { t } from './i18n.js';
import { announce, clear, el, openDialog } from './ui.js';

const button = document.getElementById('file-case');
const dialog = document.getElementById('file-dialog');
const form = document.getElementById('file-form');
const subject = document.getElementById('file-subject');
const reasons = document.getElementById('file-reasons');
const type = document.getElementById('file-type');
const error = document.getElementById('file-error');
const confirm = document.getElementById('file-confirm');

function selectedId() {
  const tab = document.querySelector('[data-testid="conv-tab"][aria-current="true"]');
  return tab ? tab.dataset.conversationId : null;
}

async function loadTypes() {
  try {
    const data = await api.get('/api/agent/case-types');
    const chosen = type.value; // read after the request: the agent may have chosen meanwhile
    clear(type);
    for (const ct of data.types) {
      type.appendChild(el('option', { value: ct.code }, `${ct.label} (${t('console.file.days', { days: ct.term_days })})`));
    }
    if (chosen) type.value = chosen;
  } catch {
    // keep the server-rendered list (the law's names and terms)
  }
}

function showError(message) {
  error.textContent = message || '';
  error.hidden = !message;
}

if (button && dialog) {
  button.addEventListener('click', () => {
    if (!selectedId()) return;
    showError('');
    subject.removeAttribute('aria-invalid');
    loadTypes();
    openDialog(dialog, subject);
  });
  dialog.querySelectorAll('[data-close]').forEach((b) => b.addEventListener('click', () => dialog.close('cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = selectedId();
    if (!id) return;
    confirm.disabled = true;
    showError('');
    try {
      const filed = await api.post(`/api/agent/conversations/${encodeURIComponent(id)}/file`, {
        type: type.value, subject: subject.value, reasons: reasons.value,
      });
      dialog.close('confirm');
      subject.value = '';
      reasons.value = '';
      announce(t('console.file.done', { number: filed.number, due: filed.due_date }));
    } catch (err) {
      showError(err.message);
      if (err.field === 'subject') subject.setAttribute('aria-invalid', 'true');
    } finally {
      confirm.disabled = false;
    }
  });
}
