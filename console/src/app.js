// Hash router: #/discover, #/collect, #/fleet, #/metrics. Each page exports mount(root, info) -> unmount().
import {api} from './api.js';
import {clear, h} from './dom.js';
import * as discover from './discover.js';
import * as collect from './collect.js';
import * as fleet from './fleet.js';
import * as metrics from './metrics.js';

const pages = {discover, collect, fleet, metrics};
const view = document.getElementById('view');
let unmount = null;
let info = {default_index: 'logpipe-*', read_only: true, writes_enabled: false, etcd: false};

function route() {
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1] || 'discover';
  const page = pages[name] || discover;
  if (unmount) unmount();
  unmount = null;
  clear(view);
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.dataset.page === name);
  }
  document.title = `logpipe · ${name}`;
  unmount = page.mount(view, info);
}

async function start() {
  try {
    info = await api('/api/info');
    const el = document.getElementById('info');
    el.appendChild(h('span', {}, `v${info.version}`));
    if (!info.writes_enabled) el.appendChild(h('span', {class: 'badge'}, 'read-only'));
  } catch (_) { /* pages show their own errors */ }
  window.addEventListener('hashchange', route);
  route();
}

start();
