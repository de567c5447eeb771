// History of one host's collect entries: every change made through the console (who, when, the revision),
// newest first, each with a line diff of the entries before and after. An editor restores either side of a
// change in one click; the restore is a compare-and-swap on the key's current revision, as an edit is, so a
// change made meanwhile is a conflict to look at, not something overwritten.
import {api} from './api.js';
import {clear, formatTime, h, message} from './dom.js';

export function mount(root, info, host) {
  const status = h('div', {id: 'history-status', class: 'status'});
  const list = h('div', {id: 'history', class: 'history'});
  let current = 0;
  let canWrite = !!info.can_write;
  root.appendChild(h('section', {class: 'history-page'},
    h('div', {class: 'toolbar'}, h('h2', {}, `History of ${host || '?'}`),
      h('a', {href: '#/collect'}, '← Collect config'),
      h('span', {id: 'current-revision', class: 'mono dim'})),
    status, list));

  function showStatus(kind, text, details) {
    clear(status).appendChild(message(kind, text, details));
  }

  function diffView(lines) {
    return h('pre', {class: 'diff'}, (lines || []).map(l =>
      h('div', {class: `diff-${l.op}`}, `${l.op === 'insert' ? '+' : l.op === 'delete' ? '-' : ' '} ${l.line}`)));
  }

  async function restore(record, side) {
    const what = side === 'after' ? `the entries as revision ${record.revision} left them`
      : `the entries as they were before revision ${record.revision}`;
    if (!confirm(`Restore ${what} on ${host}?`)) return;
    try {
      const r = await api(`/api/collect/${encodeURIComponent(host)}/restore`, {method: 'POST',
        body: {revision: record.revision, side, current_revision: current}});
      showStatus('ok', `Restored ${host} to ${what}: now at revision ${r.revision}.`);
    } catch (e) {
      if (e.kind === 'conflict') {
        showStatus('error', `Conflict: ${e.message}`);
      } else {
        showStatus('error', `Not restored: ${e.message}`, e.details);
      }
    }
    await load();
  }

  function render(records) {
    clear(list);
    if (!records.length) {
      list.appendChild(message('empty', 'No changes made through the console for this host yet.'));
      return;
    }
    for (const r of records) {
      const from = r.restored_from ? ` (restore of revision ${r.restored_from.revision}, ${r.restored_from.side})` : '';
      list.appendChild(h('div', {class: 'card record', 'data-revision': r.revision},
        h('div', {class: 'card-head'},
          h('h3', {}, `Revision ${r.revision}`),
          h('span', {class: 'dim'}, `${formatTime(r.time)} · ${r.user} · ${r.action}${from}`),
          r.revision === current ? h('span', {class: 'good current'}, 'current') : null,
          canWrite ? h('span', {class: 'restore-buttons'},
            h('button', {class: 'restore-after', onclick: () => restore(r, 'after')}, 'Restore this version'),
            h('button', {class: 'restore-before', onclick: () => restore(r, 'before')}, 'Restore the version before')) : null),
        diffView(r.diff)));
    }
  }

  async function load() {
    try {
      const [c, hist] = await Promise.all([api('/api/collect'),
        api(`/api/collect/${encodeURIComponent(host)}/history`)]);
      const row = c.hosts.find(x => x.host === host);
      current = row ? row.revision : 0;
      canWrite = c.can_write;
      clear(document.getElementById('current-revision')).appendChild(
        document.createTextNode(current ? `etcd is at revision ${current}` : 'no key in etcd'));
      render(hist.records);
    } catch (e) {
      showStatus('error', e.message);
    }
  }

  load();
  return () => {};
}
