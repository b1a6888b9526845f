// Job: any job's record by id (GET /admin/jobs/{id}).

import { api, seg } from './api.js';
import { h, slot, table, dl, when, heading, lookupForm } from './ui.js';

export function jobPage(main, id) {
  const out = slot();
  main.replaceChildren(heading('Job'),
    lookupForm('#/jobs/', 'Job id', id, 'Look up', { id: 'job-id', name: 'id', class: 'mono wide', placeholder: 'queue:0123abcd…' }),
    out);
  if (!id) return null;
  out.loading();
  api('GET', `/admin/jobs/${seg(id)}`).then((r) => {
    out.show(
      h('h2', {}, r.id),
      dl([
        ['State', h('span', { class: `state state-${r.state}` }, r.state)],
        ['Queue', h('a', { href: `#/queues/${seg(r.queue)}` }, r.queue)],
        ['Type', r.type],
        ['Attempts', `${r.attempts} of ${r.max_attempts}`],
        ['Created', when(r.created_at)],
        ['Updated', when(r.updated_at)],
        ['Runs at', when(r.run_at)],
        ['Finished', when(r.finished_at)],
        ['Idempotency key', r.idempotency_key],
        ['Last error', r.last_error],
      ]),
      r.errors && r.errors.length
        ? table('Errors, oldest first', ['Attempt', 'At', 'Error'], r.errors.map((e) => h('tr', {},
          h('td', { class: 'num' }, e.attempt), h('td', {}, when(e.at)), h('td', { class: 'error' }, e.error))))
        : h('p', { class: 'muted' }, 'No errors.'));
  }, (e) => out.fail(e));
  return null;
}
