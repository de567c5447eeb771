// Hash router: #/discover, #/collect, #/history/<host>, #/fleet, #/metrics, #/login. Each page exports
// mount(root, info, arg) -> unmount(). `info` is /api/info plus the session (user, role, csrf, can_write).
import {api, setCsrf, whenLoginRequired} from './api.js';
import {clear, h} from './dom.js';
import * as discover from './discover.js';
import * as collect from './collect.js';
import * as history from './history.js';
import * as fleet from './fleet.js';
import * as metrics from './metrics.js';
import * as login from './login.js';

const pages = {discover, collect, history, fleet, metrics, login};
const view = document.getElementById('view');
let unmount = null;
let info = {default_index: 'logpipe-*', read_only: true, writes_enabled: false, etcd: false};

function route() {
  const [, name0, arg] = location.hash.match(/^#\/(\w+)(?:\/(.*))?/) || [];
  let name = pages[name0] ? name0 : 'discover';
  if (info.login_required && !info.user && name !== 'login') {
    location.replace(`#/login`);
    return;
  }
  if (unmount) unmount();
  unmount = null;
  clear(view);
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.dataset.page === name || (name === 'history' && a.dataset.page === 'collect'));
  }
  document.title = `logpipe · ${name}`;
  unmount = pages[name].mount(view, info, arg ? decodeURIComponent(arg) : undefined, refresh);
}

function renderInfo() {
  const el = clear(document.getElementById('info'));
  if (info.version) el.appendChild(h('span', {}, `v${info.version}`));
  if (!info.writes_enabled) el.appendChild(h('span', {class: 'badge'}, 'read-only'));
  if (info.user) {
    el.appendChild(h('span', {id: 'who'}, `${info.user} (${info.role})`));
    el.appendChild(h('button', {id: 'logout', class: 'link light', onclick: async () => {
      try { await api('/api/logout', {method: 'POST'}); } catch (_) { /* the session is gone either way */ }
      await refresh();
      location.hash = '#/login';
    }}, 'Log out'));
  } else if (info.login_enabled) {
    el.appendChild(h('a', {href: '#/login', id: 'login-link'}, 'Log in'));
  }
}

// Reads /api/info and /api/session again (after a login or logout) and re-renders.
async function refresh() {
  try {
    const [i, s] = await Promise.all([api('/api/info'), api('/api/session')]);
    info = {...i, ...s};
    setCsrf(s.csrf);
  } catch (_) { /* pages show their own errors */ }
  renderInfo();
}

async function start() {
  await refresh();
  whenLoginRequired(async () => {
    await refresh();
    if (location.hash !== '#/login') location.hash = '#/login';
  });
  window.addEventListener('hashchange', route);
  route();
}

start();
