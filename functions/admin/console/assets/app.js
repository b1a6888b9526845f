// The console's entry point: the token form, the navigation and the router
// (#/queues, #/queues/<name>, #/jobs/<id>, #/leaderboards?board=…,
// #/limits/<sub>, #/redis).

import { token, setToken } from './api.js';
import { h } from './ui.js';
import { queuesPage, queuePage } from './queues.js';
import { jobPage } from './job.js';
import { leaderboardsPage } from './leaderboards.js';
import { limitsPage } from './limits.js';
import { redisPage } from './redis.js';

const main = document.getElementById('main');
let stop = null; // the shown page's cleanup (its polling)

function parse() {
  const hash = location.hash.startsWith('#/') ? location.hash.slice(2) : 'queues';
  const [path, query] = hash.split('?');
  const parts = path.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  return { parts, params: new URLSearchParams(query || '') };
}

function route(focus) {
  if (stop) stop();
  stop = null;
  const { parts, params } = parse();
  const [page, arg] = parts;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.page === (page || 'queues')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  switch (page || 'queues') {
    case 'queues':
      stop = arg ? queuePage(main, arg) : queuesPage(main);
      break;
    case 'jobs':
      stop = jobPage(main, arg);
      break;
    case 'leaderboards':
      stop = leaderboardsPage(main, params);
      break;
    case 'limits':
      stop = limitsPage(main, arg);
      break;
    case 'redis':
      stop = redisPage(main);
      break;
    default:
      main.replaceChildren(h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, h('a', { href: '#/queues' }, 'Back to the queues')));
  }
  // After a navigation, the keyboard continues from the new page's heading
  // (unless the page focused a field of its own).
  if (focus && !main.contains(document.activeElement)) {
    const h1 = main.querySelector('h1');
    if (h1) h1.focus();
  }
}

function showAuth() {
  const state = document.getElementById('auth-state');
  state.textContent = token() ? 'Token set (this tab only).' : 'No token: calls use your session cookie, if any.';
}

document.getElementById('auth').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = document.getElementById('token');
  const t = input.value.trim().replace(/^Bearer\s+/i, '');
  if (!t) return;
  setToken(t);
  input.value = '';
  showAuth();
  route(true);
});
document.getElementById('forget').addEventListener('click', () => {
  setToken('');
  showAuth();
  route(false);
});

window.addEventListener('hashchange', () => route(true));
showAuth();
route(false);
