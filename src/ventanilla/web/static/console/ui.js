// Small DOM helpers. Data is only ever put into the page with textContent,
// attributes or createElement: never with innerHTML.

import { t } from './i18n.js';

/**
 * el('li', {class: 'x', dataset: {seq: 3}, onclick: fn}, 'text', childNode)
 * Strings become text nodes; null/undefined/false children are skipped.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on') && typeof value === 'function') {
        node.addEventListener(key.slice(2), value);
      } else if (key in node && typeof value !== 'string') node[key] = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function $$(selector, root = document) {
  return Array.from(root.querySelectorAll(selector));
}

/** Status message in the page's role="status" region (data-testid="status"). */
let statusTimer = null;
export function announce(message, { error = false, timeout = 8000 } = {}) {
  const region = document.querySelector('[data-testid="status"]');
  if (!region) return;
  clearTimeout(statusTimer);
  region.classList.toggle('is-error', Boolean(error));
  // Re-setting the same text would not be announced again: clear first.
  region.textContent = '';
  window.setTimeout(() => { region.textContent = message; }, 30);
  if (timeout) statusTimer = window.setTimeout(() => { region.textContent = ''; }, timeout);
}

/** Only http(s) URLs may become links. */
export function safeHref(value) {
  try {
    const url = new URL(String(value), location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** A link for an http(s) URL, plain text otherwise. */
export function linkOrText(value) {
  if (!value) return t('console.common.none');
  const href = safeHref(value);
  if (!href) return document.createTextNode(String(value));
  return el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, String(value));
}

/** Open a native <dialog> modally and give focus back where it was on close. */
export function openDialog(dialog, focusTarget) {
  const opener = document.activeElement;
  if (!dialog.dataset.vtBound) {
    dialog.dataset.vtBound = '1';
    dialog.addEventListener('close', () => {
      const back = dialog.vtOpener;
      dialog.vtOpener = null;
      if (back && document.contains(back) && typeof back.focus === 'function') back.focus();
      else document.getElementById('main')?.focus();
    });
  }
  dialog.vtOpener = opener;
  dialog.showModal();
  const target = focusTarget || dialog.querySelector('[autofocus], input, select, textarea, button');
  if (target) target.focus();
}

/** Show errors of a 422 answer next to the field named by error.field (data-field). */
export function showFieldError(form, error) {
  clearFieldErrors(form);
  const field = error && error.field ? String(error.field) : '';
  let slot = null;
  if (field) {
    const parts = field.split('.');
    // "office_hours.days.2.open" -> most specific slot that exists
    for (let i = parts.length; i > 0 && !slot; i -= 1) {
      const name = parts.slice(0, i).join('.');
      slot = Array.from(form.querySelectorAll('[data-error-for]'))
        .find((node) => node.dataset.errorFor === name) || null;
    }
  }
  if (!slot) slot = form.querySelector('[data-error-for="_form"]');
  if (!slot) return null;
  slot.textContent = error.message || t('console.error.generic');
  slot.hidden = false;
  const control = slot.dataset.errorFor !== '_form' && form.querySelector(`#${slot.dataset.control || ''}`);
  if (control) {
    control.setAttribute('aria-invalid', 'true');
    control.focus();
  }
  return slot;
}

export function clearFieldErrors(form) {
  for (const slot of form.querySelectorAll('[data-error-for]')) {
    slot.textContent = '';
    slot.hidden = true;
  }
  for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
}

/** Random id made of [A-Za-z0-9_-]; works outside secure contexts too. */
export function randomId(bytes = 16) {
  const data = new Uint8Array(bytes);
  crypto.getRandomValues(data);
  return Array.from(data, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Information about the logged-in user, from <body data-user-*>. */
export function currentUser() {
  const d = document.body.dataset;
  return {
    id: d.userId ? Number(d.userId) || d.userId : null,
    role: d.userRole || 'agent',
    name: d.userName || '',
  };
}

const ROLE_RANK = { agent: 1, supervisor: 2, admin: 3 };
export function hasRole(role) {
  return (ROLE_RANK[currentUser().role] || 0) >= (ROLE_RANK[role] || 99);
}
