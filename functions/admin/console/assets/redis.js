// Redis: the doctor's checks (GET /admin/redis), green, amber or red.

import { api } from './api.js';
import { h, slot, heading } from './ui.js';

const LEVELS = { ok: 'OK', warn: 'Warning', fail: 'Failed' };

export function redisPage(main) {
  const out = slot();
  const load = () => {
    out.loading();
    api('GET', '/admin/redis').then((r) => {
      const checks = r.checks || [];
      out.show(
        h('p', { class: 'summary' },
          h('span', { class: 'badge level-ok' }, `${r.ok ?? 0} ok`), ' ',
          h('span', { class: 'badge level-warn' }, `${r.warn ?? 0} warning${r.warn === 1 ? '' : 's'}`), ' ',
          h('span', { class: 'badge level-fail' }, `${r.fail ?? 0} failed`)),
        h('ul', { class: 'checks' }, checks.map((c) => h('li', { class: `check level-${c.level}` },
          h('span', { class: `badge level-${c.level}` }, LEVELS[c.level] || c.level),
          h('strong', {}, c.check),
          c.detail ? h('span', { class: 'detail' }, c.detail) : null))));
    }, (e) => out.fail(e));
  };
  main.replaceChildren(heading('Redis'),
    h('p', { class: 'muted' }, 'What lambdis doctor checks, on the Redis the functions use: green OK, amber warning, red failed.'),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: load }, 'Check again')),
    out);
  load();
  return null;
}
