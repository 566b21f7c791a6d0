// Correo page (admins): retry an email that failed permanently.
import { api } from './api.js';
import { announce } from './ui.js';
import { t } from './i18n.js';

for (const button of document.querySelectorAll('button[data-retry]')) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api.post(`/api/admin/mail/${encodeURIComponent(button.dataset.retry)}/retry`, {});
      announce(t('console.mail.retry_queued'));
      setTimeout(() => window.location.reload(), 1500);
    } catch (err) {
      button.disabled = false;
      announce(err.message, { error: true });
    }
  });
}
