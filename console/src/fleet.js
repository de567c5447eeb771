// Fleet: every process with a status key in etcd (agents, transfers): health by heartbeat age, version,
// files tailed, lines/s, lag and errors. Refreshes every 2 s; a row expands to the whole status JSON.
import {api} from './api.js';
import {clear, formatBytes, formatTime, h, message} from './dom.js';

function health(age) {
  if (age === null || age === undefined) return ['unknown', 'bad'];
  if (age <= 10) return [`ok (${age.toFixed(1)} s)`, 'good'];
  if (age <= 30) return [`late (${age.toFixed(0)} s)`, 'pending'];
  return [`stale (${age.toFixed(0)} s)`, 'bad'];
}

function errorsOf(s) {
  const out = [];
  const c = s.config || {};
  for (const e of c.errors || []) out.push(`config: ${e}`);
  if (c.connection_error) out.push(`etcd: ${c.connection_error}`);
  const k = s.kafka || {};
  if (k.failed) out.push(`kafka: ${k.failed} failed deliveries`);
  if (k.client_errors) out.push(`kafka: ${k.client_errors} client errors`);
  for (const e of s.errors || []) out.push(String(e));
  return out;
}

export function mount(root) {
  const status = h('div', {class: 'status', id: 'fleet-status'});
  const tbody = h('tbody', {id: 'fleet-rows'});
  const open = new Set();
  root.appendChild(h('section', {class: 'fleet'}, h('div', {class: 'toolbar'}, h('h2', {}, 'Fleet')), status,
    h('table', {class: 'results fleet-table'}, h('thead', {}, h('tr', {},
      ['Role', 'Host', 'Health (heartbeat)', 'Version', 'Started', 'Files', 'Lines/s', 'Lag', 'Config rev.', 'Errors'].map(t => h('th', {}, t)))),
    tbody)));

  async function load() {
    try {
      const r = await api('/api/fleet');
      clear(status);
      clear(tbody);
      if (!r.processes.length) status.appendChild(message('empty', 'No process reports a status key in etcd.'));
      for (const p of r.processes) {
        const s = p.status || {};
        const [label, cls] = health(p.heartbeat_age_s);
        const errors = errorsOf(s);
        const files = s.files_open ?? (Array.isArray(s.files) ? s.files.length : '–');
        const tr = h('tr', {class: 'hit', 'data-key': p.key},
          h('td', {}, s.role ?? p.key.split('/').slice(-2, -1)[0]), h('td', {}, s.host ?? ''),
          h('td', {class: cls}, label), h('td', {}, s.version ?? ''), h('td', {}, s.started_at ? formatTime(s.started_at) : ''),
          h('td', {}, files), h('td', {}, s.lines_per_second ?? '–'), h('td', {}, formatBytes(p.lag_bytes)),
          h('td', {}, s.config ? s.config.revision : '–'),
          h('td', {class: errors.length ? 'bad' : 'good'}, errors.length ? errors.join('; ') : 'none'));
        tr.addEventListener('click', () => { if (open.has(p.key)) open.delete(p.key); else open.add(p.key); load(); });
        tbody.appendChild(tr);
        if (open.has(p.key)) {
          const pre = h('pre', {class: 'json'});
          pre.textContent = JSON.stringify(s, null, 2);
          tbody.appendChild(h('tr', {class: 'detail'}, h('td', {colspan: '10'}, pre)));
        }
      }
    } catch (e) {
      clear(status).appendChild(message('error', e.message));
    }
  }
  load();
  const timer = setInterval(load, 2000);
  return () => clearInterval(timer);
}
