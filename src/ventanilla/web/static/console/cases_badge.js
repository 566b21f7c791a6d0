// The cases counter in the console's navigation: overdue and due-soon petitions, refreshed
// every minute and when the cases page changes a case ("vt-cases-changed").
import { api } from './api.js';
import { t } from './i18n.js';

const badge = document.getElementById('nav-cases-count');

export function showCounters(counters) {
  if (!badge || !counters) return;
  const overdue = counters.overdue || 0;
  const soon = counters.due_soon || 0;
  const total = overdue + soon;
  badge.hidden = total === 0;
  badge.textContent = String(total);
  badge.dataset.overdue = String(overdue);
  badge.classList.toggle('nav-count-alert', overdue > 0);
  badge.setAttribute('aria-label', t('console.cases.badge', { overdue, soon }));
  badge.title = badge.getAttribute('aria-label');
}

async function refresh() {
  try {
    showCounters(await api.get('/api/agent/case-counters'));
  } catch {
    // the badge is a hint: the cases page shows errors
  }
}

if (badge) {
  refresh();
  setInterval(refresh, 60000);
  document.addEventListener('vt-cases-changed', (ev) => showCounters(ev.detail));
}
