// Queues: the books of every queue, sampled while the page is open, and a
// queue's dead letters with their error history, redriven or purged.

import { api, seg } from './api.js';
import { lineChart } from './chart.js';
import { h, slot, table, dl, when, duration, num, heading, confirmAction } from './ui.js';

const INTERVAL = 5000; // ms between samples
const SPAN = 10 * 60 * 1000; // ms of history charted

// samples are the books read while a queues page was open, oldest first:
// {t, queues: {name: {backlog, finished}}}. They outlive a page change, so
// coming back shows the history so far.
const samples = [];

function record(queues) {
  const now = Date.now();
  const entry = { t: now, queues: {} };
  for (const q of queues) entry.queues[q.queue] = { backlog: q.backlog, finished: q.succeeded + q.dead };
  samples.push(entry);
  while (samples.length && samples[0].t < now - SPAN - INTERVAL) samples.shift();
}

// series returns the backlog and throughput (jobs finished, succeeded or
// dead, per minute) of one queue, or of all of them when name is null.
function series(name) {
  const pick = (e) => {
    if (name !== null) return e.queues[name];
    const all = Object.values(e.queues);
    return { backlog: all.reduce((a, q) => a + q.backlog, 0), finished: all.reduce((a, q) => a + q.finished, 0) };
  };
  const backlog = [];
  const rate = [];
  let prev = null;
  for (const e of samples) {
    const v = pick(e);
    if (!v) { prev = null; continue; }
    backlog.push({ t: e.t, v: v.backlog });
    if (prev && e.t > prev.t) rate.push({ t: e.t, v: Math.max(0, ((v.finished - prev.v.finished) * 60000) / (e.t - prev.t)) });
    prev = { t: e.t, v };
  }
  return { backlog, rate };
}

// charts draws the series over the time sampled so far: at least a
// minute, at most SPAN.
function charts(name) {
  const { backlog, rate } = series(name);
  const now = Date.now();
  const span = Math.min(SPAN, Math.max(60000, samples.length ? now - samples[0].t : 0));
  return [
    lineChart('Backlog', backlog, 'jobs due', span, now),
    lineChart('Throughput', rate, 'jobs/min', span, now),
  ];
}

// poll reads the books now and every INTERVAL until the returned stop is
// called; each answer goes to onData, each failure to onError.
function poll(onData, onError) {
  let stopped = false;
  const tick = async () => {
    try {
      const data = await api('GET', '/admin/queues');
      if (stopped) return;
      record(data.queues);
      onData(data.queues);
    } catch (e) {
      if (!stopped) onError(e);
    }
  };
  tick();
  const timer = setInterval(tick, INTERVAL);
  return () => { stopped = true; clearInterval(timer); };
}

// keepFocus replaces region's content and gives the focus back to the
// element with the same data-key, so a refresh does not lose the keyboard.
function keepFocus(region, ...nodes) {
  const key = region.contains(document.activeElement) ? document.activeElement.dataset.key : undefined;
  region.show(...nodes);
  if (key) {
    const el = region.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (el) el.focus();
  }
}

const cls = (bad) => (bad ? 'num bad' : 'num');

function queuesTable(queues) {
  if (!queues.length) return h('p', {}, 'No queue is in use yet: a queue appears here with its first enqueue.');
  return table('Every queue in use', ['Queue', 'Backlog', 'Oldest due', 'Delayed', 'Pending', 'Dead letters', 'Succeeded', 'Retried', 'Drift'],
    queues.map((q) => h('tr', { 'data-queue': q.queue },
      h('th', { scope: 'row' }, h('a', { href: `#/queues/${seg(q.queue)}`, 'data-key': q.queue }, q.queue)),
      h('td', { class: 'num' }, num(q.backlog)),
      h('td', { class: 'num' }, duration(q.oldest_due_ms)),
      h('td', { class: 'num' }, num(q.delayed)),
      h('td', { class: 'num' }, num(q.pending)),
      h('td', { class: cls(q.dead_letters > 0), 'data-col': 'dead_letters' }, num(q.dead_letters)),
      h('td', { class: 'num', 'data-col': 'succeeded' }, num(q.succeeded)),
      h('td', { class: 'num' }, num(q.retried)),
      h('td', { class: cls(q.drift !== 0) }, num(q.drift)))), { class: 'queues' });
}

export function queuesPage(main) {
  const chartBox = slot({ class: 'charts' });
  const list = slot();
  main.replaceChildren(heading('Queues'),
    h('p', { class: 'muted' }, `The books of every queue in use, read every ${INTERVAL / 1000} seconds while this page is open; the charts show all queues together over the last ${SPAN / 60000} minutes of it.`),
    list, chartBox);
  list.loading();
  let last = '';
  return poll((queues) => {
    chartBox.show(charts(null));
    const json = JSON.stringify(queues);
    if (json !== last) {
      last = json;
      keepFocus(list, queuesTable(queues));
    }
  }, (e) => { last = ''; list.fail(e); });
}

function books(q) {
  return dl([
    ['Backlog (due now)', num(q.backlog)], ['Oldest due', duration(q.oldest_due_ms)], ['Delayed', num(q.delayed)],
    ['Pending (held by workers)', num(q.pending)], ['Dead letters', num(q.dead_letters)], ['Enqueued', num(q.enqueued)],
    ['Deduplicated', num(q.deduplicated)], ['Succeeded', num(q.succeeded)], ['Retried', num(q.retried)],
    ['Dead', num(q.dead)], ['Redriven', num(q.redriven)], ['Reclaimed', num(q.reclaimed)], ['Lost', num(q.lost)],
    ['Drift', num(q.drift)], ['First used', when(q.first_used)],
  ]);
}

function history(d) {
  const errors = d.errors && d.errors.length ? d.errors : [{ attempt: d.attempts, error: d.error }];
  return h('details', {},
    h('summary', {}, `History (${errors.length}) and payload`),
    h('ol', { class: 'history' }, errors.map((e) => h('li', {},
      h('span', { class: 'muted' }, `attempt ${e.attempt}${e.at ? `, ${when(e.at)}` : ''}: `), e.error))),
    h('pre', { class: 'payload' }, JSON.stringify(d.payload, null, 2)),
    d.version ? h('p', { class: 'muted' }, `worker version ${d.version}`) : null);
}

export function queuePage(main, name) {
  const booksBox = slot();
  const chartBox = slot({ class: 'charts' });
  const status = h('p', { role: 'status', class: 'status' });
  const deadBox = slot();
  const actions = h('div', { class: 'actions' });
  main.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: '#/queues' }, 'Queues'), ' / ', name),
    heading(`Queue ${name}`), chartBox, booksBox,
    h('h2', {}, 'Dead letters'), actions, status, deadBox);

  let letters = [];
  let cursor = '';
  let last = '';
  const stop = poll((queues) => {
    const q = queues.find((x) => x.queue === name);
    chartBox.show(charts(name));
    const json = JSON.stringify(q || null);
    if (json !== last) {
      last = json;
      booksBox.show(q ? books(q) : h('p', {}, `No queue named ${name} is in use.`));
    }
  }, (e) => { last = ''; booksBox.fail(e); });

  const selected = () => [...deadBox.querySelectorAll('input[name="pick"]:checked')].map((c) => c.value);

  const render = () => {
    if (!letters.length) {
      deadBox.show(h('p', { class: 'empty' }, 'No dead letters.'));
      return;
    }
    const all = h('input', {
      type: 'checkbox', 'aria-label': 'Select every dead letter listed',
      onchange: (e) => deadBox.querySelectorAll('input[name="pick"]').forEach((c) => { c.checked = e.target.checked; }),
    });
    deadBox.show(table(`${letters.length} dead letter${letters.length === 1 ? '' : 's'}${cursor ? ' (more below)' : ''}, newest first`,
      [all, 'Job', 'Type', 'Attempts', 'Last error', 'Died'],
      letters.map((d) => h('tr', { 'data-job': d.job_id },
        h('td', {}, h('input', { type: 'checkbox', name: 'pick', value: d.entry_id, 'aria-label': `Select ${d.job_id}` })),
        h('td', {}, h('a', { href: `#/jobs/${seg(d.job_id)}`, class: 'mono' }, d.job_id)),
        h('td', {}, d.type),
        h('td', { class: 'num' }, num(d.attempts)),
        h('td', { class: 'error' }, h('p', {}, d.error), history(d)),
        h('td', {}, when(d.died_at)))), { class: 'dead' }),
    cursor ? h('button', { type: 'button', onclick: () => load(true) }, 'Show more') : null);
  };

  const load = async (more) => {
    if (!more) {
      letters = [];
      cursor = '';
      deadBox.loading();
    }
    try {
      const q = new URLSearchParams({ limit: '50' });
      if (more && cursor) q.set('cursor', cursor);
      const data = await api('GET', `/admin/queues/${seg(name)}/dead?${q}`);
      letters = letters.concat(data.dead_letters || []);
      cursor = data.next_cursor || '';
      render();
    } catch (e) {
      deadBox.fail(e);
    }
  };

  const act = async (verb, all) => {
    const ids = all ? null : selected();
    if (!all && !ids.length) {
      status.textContent = 'Select dead letters first.';
      return;
    }
    const what = all ? `every dead letter of queue ${name}` : `${ids.length} dead letter${ids.length === 1 ? '' : 's'} of queue ${name}`;
    const ok = verb === 'redrive'
      ? await confirmAction(`Redrive ${what}? Each goes back on the queue and runs again.`, 'Redrive')
      : await confirmAction(`Delete ${what} for good? This cannot be undone.`, 'Purge');
    if (!ok) {
      status.textContent = 'Nothing done.';
      return;
    }
    const body = all ? {} : { ids };
    try {
      status.textContent = 'Working…';
      if (verb === 'redrive') {
        const r = await api('POST', `/admin/queues/${seg(name)}/dead/redrive`, body);
        status.textContent = `Redriven: ${r.redriven.length}.${r.missing && r.missing.length ? ` Not dead letters (any more): ${r.missing.join(', ')}.` : ''}`;
      } else {
        const r = await api('DELETE', `/admin/queues/${seg(name)}/dead`, body);
        status.textContent = `Deleted: ${r.deleted}.${r.missing && r.missing.length ? ` Not dead letters (any more): ${r.missing.join(', ')}.` : ''}`;
      }
    } catch (e) {
      status.textContent = '';
      deadBox.fail(e);
      return;
    }
    load(false);
  };

  actions.append(
    h('button', { type: 'button', onclick: () => act('redrive', false) }, 'Redrive selected'),
    h('button', { type: 'button', class: 'danger', onclick: () => act('purge', false) }, 'Purge selected'),
    h('button', { type: 'button', onclick: () => act('redrive', true) }, 'Redrive all'),
    h('button', { type: 'button', class: 'danger', onclick: () => act('purge', true) }, 'Purge all'),
    h('button', { type: 'button', onclick: () => load(false) }, 'Refresh'));
  load(false);
  return stop;
}
