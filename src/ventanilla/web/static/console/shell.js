// Parts of the page frame shared by every console page: the presence selector.

import { api } from './api.js';
import { t } from './i18n.js';
import { announce } from './ui.js';

const select = document.getElementById('presence');
const dot = document.querySelector('.presence-dot');
let current = select ? select.value : 'available';

export function showPresence(presence) {
  if (!presence) return;
  if (dot) dot.dataset.presence = presence;
  if (select && (presence === 'available' || presence === 'away')) {
    select.value = presence;
    current = presence;
  }
}

if (select) {
  select.addEventListener('change', async () => {
    const wanted = select.value;
    select.disabled = true;
    try {
      const me = await api.put('/api/agent/me/presence', { presence: wanted });
      showPresence((me && me.presence) || wanted);
      announce(t('console.presence.changed', { state: t(`console.presence.${wanted}`) }));
    } catch (err) {
      select.value = current;
      announce(err.message, { error: true });
    } finally {
      select.disabled = false;
    }
  });
}
