// Limits: a subject's state under each rate-limit policy, read without
// spending (GET /admin/subjects/{sub}/limits), and revoke-all.

import { api, seg } from './api.js';
import { h, slot, table, dl, when, num, heading, confirmAction, lookupForm } from './ui.js';

export function limitsPage(main, sub) {
  const out = slot();
  const status = h('p', { role: 'status', class: 'status' });
  main.replaceChildren(heading('Limits'),
    lookupForm('#/limits/', 'Subject', sub, 'Show', { id: 'sub', name: 'sub', placeholder: 'alice' }),
    status, out);
  if (!sub) return null;

  const revoke = async () => {
    if (!await confirmAction(`Revoke every token and session of ${sub}? Its tokens issued until now stop working, and its sessions end.`, 'Revoke all')) {
      status.textContent = 'Nothing done.';
      return;
    }
    try {
      const r = await api('POST', `/users/${seg(sub)}/revoke-all`);
      status.textContent = `Revoked: tokens of ${r.sub} issued at or before ${when(r.not_before)} are refused; ${r.sessions} session${r.sessions === 1 ? '' : 's'} ended.`;
    } catch (e) {
      status.textContent = '';
      out.fail(e);
      return;
    }
    load();
  };

  const load = () => {
    out.loading();
    api('GET', `/admin/subjects/${seg(sub)}/limits`).then((r) => {
      const state = r.revoked_all
        ? `Revoked: tokens issued at or before ${when(r.not_before)} and sessions created at or before ${when(r.revoked_at)} are refused${r.revoke_all_until ? ` until ${when(r.revoke_all_until)}` : ''}.`
        : 'Not revoked.';
      out.show(
        h('h2', {}, r.sub),
        dl([['Revoke-all', h('span', { class: r.revoked_all ? 'bad' : '' }, state)]]),
        r.limits && r.limits.length
          ? table('State under each policy, as its next request would be decided', ['Policy', 'Quota', 'Window', 'Rate', 'Remaining now', 'Full again in'],
            r.limits.map((l) => h('tr', {},
              h('th', { scope: 'row' }, l.policy),
              h('td', { class: 'num' }, num(l.quota)),
              h('td', { class: 'num' }, `${num(l.window_seconds)} s`),
              h('td', { class: 'num' }, `${num(l.rate)} per ${num(l.period_seconds)} s`),
              h('td', { class: l.remaining === 0 ? 'num bad' : 'num' }, num(l.remaining)),
              h('td', { class: 'num' }, `${num(l.reset_seconds)} s`))))
          : h('p', {}, 'No rate-limit policy is configured.'),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', onclick: revoke }, `Revoke all tokens and sessions of ${r.sub}`)));
    }, (e) => out.fail(e));
  };
  load();
  return null;
}
