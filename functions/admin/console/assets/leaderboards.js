// Leaderboards: a board's top, paged, on one window, and a player with its
// neighbours (the public read routes, which an admin token may call).

import { api, seg } from './api.js';
import { h, slot, table, num, heading, go } from './ui.js';

const PERIODS = [['all', 'All time'], ['day', 'Day'], ['week', 'Week'], ['month', 'Month']];
const SIZES = ['10', '25', '50', '100'];

function select(id, label, value, options) {
  return h('div', { class: 'field' }, h('label', { for: id }, label),
    h('select', { id, name: id }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

function input(id, label, attrs) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name: id, ...attrs }));
}

// go puts the form's values in the page's address (so that a reload or a
// shared link shows the same), which renders the page again.
function showQuery(values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
  go(`#/leaderboards?${q}`);
}

export function leaderboardsPage(main, params) {
  const p = {
    board: params.get('board') || '', period: params.get('period') || 'all', date: params.get('date') || '',
    limit: params.get('limit') || '10', player: params.get('player') || '', around: params.get('around') || '5',
  };
  const value = (form, name) => form.elements.namedItem(name).value.trim();
  const boardForm = h('form', {
    class: 'grid-form', onsubmit: (e) => {
      e.preventDefault();
      showQuery({ ...p, board: value(e.target, 'board'), period: value(e.target, 'period'), date: value(e.target, 'date'), limit: value(e.target, 'limit'), player: '' });
    },
  },
  input('board', 'Board', { value: p.board, required: true, spellcheck: 'false', placeholder: 'game1' }),
  select('period', 'Window', p.period, PERIODS),
  input('date', 'Date (UTC; empty: the current window)', { type: 'date', value: p.date }),
  select('limit', 'Per page', p.limit, SIZES.map((s) => [s, s])),
  h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Show')));

  const top = slot();
  const around = slot();
  main.replaceChildren(heading('Leaderboards'), boardForm, top, around);
  if (!p.board) {
    boardForm.elements.namedItem('board').focus();
    return null;
  }

  const query = (extra) => {
    const q = new URLSearchParams({ period: p.period });
    if (p.date) q.set('date', p.date);
    for (const [k, v] of Object.entries(extra)) q.set(k, v);
    return q;
  };
  const board = `/leaderboards/${seg(p.board)}`;
  const playerLink = (name) => h('a', { href: `#/leaderboards?${new URLSearchParams({ ...Object.fromEntries(Object.entries(p).filter(([, v]) => v)), player: name })}` }, name);

  // Pages: the cursors of the pages walked so far, for Previous.
  const cursors = [];
  const showPage = async (from) => {
    top.loading();
    try {
      const q = query({ limit: p.limit, ...from });
      const r = await api('GET', `${board}?${q}`);
      const entries = r.entries || [];
      const pager = h('div', { class: 'actions pager' },
        h('button', { type: 'button', disabled: !cursors.length, onclick: () => { cursors.pop(); showPage(cursors.length ? { cursor: cursors[cursors.length - 1] } : {}); } }, 'Previous page'),
        h('button', { type: 'button', disabled: !r.next_cursor, onclick: () => { cursors.push(r.next_cursor); showPage({ cursor: r.next_cursor }); } }, 'Next page'),
        h('form', {
          class: 'inline', onsubmit: (e) => {
            e.preventDefault();
            const n = e.target.elements.namedItem('from_rank').value;
            cursors.length = 0;
            showPage({ from_rank: n });
          },
        }, h('label', { for: 'from_rank' }, 'From place'), h('input', { id: 'from_rank', name: 'from_rank', type: 'number', min: '1', required: true, class: 'narrow' }), h('button', { type: 'submit' }, 'Go')));
      top.show(
        h('h2', {}, `${r.board} · ${r.period} (${r.window})`),
        h('p', { class: 'muted' }, `${num(r.total)} player${r.total === 1 ? '' : 's'} on this window.`),
        entries.length
          ? table(`Places ${num(entries[0].rank)} to ${num(entries[entries.length - 1].rank)}`, ['Rank', 'Player', 'Score'],
            entries.map((e) => h('tr', {}, h('td', { class: 'num rank' }, String(e.rank)), h('td', { class: 'player' }, playerLink(e.player)), h('td', { class: 'num score' }, String(e.score)))),
            { class: 'board' })
          : h('p', {}, 'Nobody on this page.'),
        pager);
    } catch (e) {
      top.fail(e);
    }
  };
  showPage({});

  const playerForm = h('form', {
    class: 'grid-form', onsubmit: (e) => {
      e.preventDefault();
      showQuery({ ...p, player: value(e.target, 'player'), around: value(e.target, 'around') });
    },
  },
  input('player', 'Player', { value: p.player, required: true, spellcheck: 'false' }),
  input('around', 'Neighbours on each side', { type: 'number', min: '0', max: '50', value: p.around, class: 'narrow' }),
  h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Find')));
  const near = slot();
  around.show(h('h2', {}, 'A player and its neighbours'), playerForm, near);
  if (p.player) {
    near.loading();
    api('GET', `${board}/players/${seg(p.player)}?${query({ around: p.around })}`).then((r) => {
      const rows = [...(r.above || []), { rank: r.rank, player: r.player, score: r.score, me: true }, ...(r.below || [])];
      near.show(
        h('p', {}, `${r.player}: rank ${num(r.rank)} of ${num(r.total)}, score ${num(r.score)}, percentile ${r.percentile}.`),
        table(`${r.player} and its neighbours`, ['Rank', 'Player', 'Score'], rows.map((e) => h('tr', { class: e.me ? 'me' : '', 'aria-current': e.me ? 'true' : null },
          h('td', { class: 'num rank' }, String(e.rank)), h('td', { class: 'player' }, e.me ? h('strong', {}, e.player) : playerLink(e.player)), h('td', { class: 'num score' }, String(e.score)))),
        { class: 'around' }));
    }, (e) => near.fail(e));
  }
  return null;
}
