// DOM helpers. Text from the API only ever becomes text nodes and attribute
// values, never markup.

import { Problem } from './api.js';

// h builds an element: h('a', {href: '#/x', class: 'y', onclick: fn}, 'text', child, ...).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

// problemBox shows an error: a Problem's title, status and detail.
function problemBox(err) {
  if (!(err instanceof Problem)) {
    console.error(err); // a bug of the page: let it be seen
    err = new Problem(0, 'The page failed', String((err && err.message) || err));
  }
  return h('div', { class: 'problem', role: 'alert' },
    h('p', { class: 'problem-title' }, err.title, err.status ? h('span', { class: 'problem-status' }, ` (${err.status})`) : null),
    err.detail ? h('p', { class: 'problem-detail' }, err.detail) : null);
}

// slot is a region whose content is replaced: loading, then a result or a
// problem.
export function slot(attrs) {
  const el = h('div', attrs || {});
  el.show = (...nodes) => { el.replaceChildren(); append(el, nodes); };
  el.fail = (err) => el.show(problemBox(err));
  el.loading = () => el.show(h('p', { class: 'muted' }, 'Loading…'));
  return el;
}

// confirmAction asks in a modal dialog; it resolves true when confirmed.
// Escape and Cancel resolve false; Cancel has the focus first. Each call's
// listeners go when it is answered, before the dialog can open again.
export function confirmAction(message, action) {
  const dlg = document.getElementById('confirm');
  dlg.querySelector('#confirm-message').textContent = message;
  const ok = dlg.querySelector('#confirm-ok');
  const cancel = dlg.querySelector('#confirm-cancel');
  ok.textContent = action;
  return new Promise((resolve) => {
    const listening = new AbortController();
    const done = (v) => {
      listening.abort();
      if (dlg.open) dlg.close();
      resolve(v);
    };
    const opts = { signal: listening.signal };
    ok.addEventListener('click', () => done(true), opts);
    cancel.addEventListener('click', () => done(false), opts);
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); }, opts);
    dlg.showModal();
    cancel.focus();
  });
}

// table builds a table from column headings and rows of cells; wide tables
// scroll sideways inside their wrapper on a small screen.
export function table(caption, heads, rows, attrs) {
  return h('div', { class: 'table-wrap' },
    h('table', attrs || {},
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, heads.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows)));
}

// dl builds a description list from [term, value] pairs, skipping empty values.
export function dl(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// when formats an RFC 3339 time in UTC, to the second.
export function when(t) {
  if (!t) return '';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

// duration formats milliseconds.
export function duration(ms) {
  if (!ms) return '0';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

// num formats an integer with thousands separators.
export const num = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : String(n ?? ''));

// heading sets the page's heading and the document title.
export function heading(text) {
  document.title = `${text} · Lambdis console`;
  return h('h1', { tabindex: '-1' }, text);
}

// lookupForm is a one-field form that shows the page prefix + the value:
// the field (labelled label, filled with value) and its button. A page
// without a value focuses the field.
export function lookupForm(prefix, label, value, button, attrs) {
  const input = h('input', { type: 'search', value: value || '', required: true, spellcheck: 'false', ...attrs });
  const form = h('form', {
    class: 'inline', onsubmit: (e) => {
      e.preventDefault();
      const v = input.value.trim();
      if (v) go(prefix + encodeURIComponent(v));
    },
  }, h('label', { for: attrs.id }, label), input, h('button', { type: 'submit' }, button));
  if (!value) queueMicrotask(() => input.focus());
  return form;
}

// go shows the page at hash; the page at the current hash is rendered
// again (a form submitted twice looks again).
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}
