// Collect config: per host, the collect entries in etcd and whether its agent applied them.
// Add / edit / delete entries, validate on the server, save as a logged-in editor (compare-and-swap on the
// key's revision), then watch the agent's status until it reports the new revision (or its errors). Viewers
// see the entries without the editing buttons. Each host links to its History (audit trail, restore).
import {api} from './api.js';
import {clear, h, message} from './dom.js';

export function mount(root, info) {
  const state = {hosts: [], editing: null, waiting: new Map(), timer: null, writes: !!info.can_write};
  const status = h('div', {id: 'collect-status', class: 'status'});
  const list = h('div', {id: 'hosts', class: 'hosts'});
  const newHost = h('input', {id: 'new-host', placeholder: 'host name (for a host without entries yet)'});
  const addHost = h('button', {onclick: () => {
    const host = newHost.value.trim();
    if (!/^[A-Za-z0-9._-]{1,253}$/.test(host)) { showStatus('error', 'Host names use only A-Z a-z 0-9 . _ -'); return; }
    if (!state.hosts.some(x => x.host === host)) {
      state.hosts.push({host, key: null, revision: 0, entries: [], agent: null, value_error: null});
    }
    newHost.value = '';
    render();
  }}, 'Add host');
  root.appendChild(h('section', {class: 'collect'},
    h('div', {class: 'toolbar'}, h('h2', {}, 'Collect config'),
      state.writes ? newHost : null, state.writes ? addHost : null),
    status, list));

  function showStatus(kind, text, details) {
    clear(status).appendChild(message(kind, text, details));
  }

  async function load() {
    try {
      const r = await api('/api/collect');
      const local = state.hosts.filter(x => !x.key && !r.hosts.some(y => y.host === x.host));
      state.hosts = r.hosts.concat(local);
      state.writes = r.can_write;
      if (!r.writes_enabled) showStatus('info', 'Read-only: changes need a console started with --users-file or --auth-token-file (and without --read-only).');
      else if (!state.writes && info.role === 'viewer') showStatus('info', `You are logged in as ${info.user}, a viewer: changes need the editor role.`);
      else if (!state.writes) showStatus('info', 'Log in as an editor to make changes.');
      else if (status.querySelector('.msg-error') === null && !state.waiting.size) clear(status);
      render();
    } catch (e) {
      showStatus('error', e.message);
    }
  }

  function agentLine(x) {
    const a = x.agent;
    if (!a) return h('div', {class: 'agent none'}, 'No agent reports for this host (no status key).');
    const applied = Number(a.applied_revision || 0);
    const waitingFor = state.waiting.get(x.host);
    const parts = [h('span', {}, `agent v${a.version ?? '?'} · applied revision ${applied} (${a.source ?? '?'})`)];
    if (a.connected === false) parts.push(h('span', {class: 'bad'}, ` · not connected to etcd${a.connection_error ? ': ' + a.connection_error : ''}`));
    const errors = Array.isArray(a.errors) ? a.errors : [];
    let cls = 'agent';
    if (waitingFor) {
      if (applied >= waitingFor && errors.length === 0) {
        parts.push(h('span', {class: 'good applied', 'data-revision': waitingFor}, ` · ✓ revision ${waitingFor} applied`));
      } else if (applied >= waitingFor) {
        parts.push(h('span', {class: 'bad'}, ` · revision ${waitingFor} applied with errors`));
      } else {
        parts.push(h('span', {class: 'pending'}, ` · waiting for the agent to apply revision ${waitingFor}…`));
      }
    } else if (x.revision && applied >= x.revision) {
      parts.push(h('span', {class: 'good'}, ' · up to date'));
    } else if (x.revision) {
      parts.push(h('span', {class: 'pending'}, ` · etcd is at revision ${x.revision}`));
    }
    if (errors.length) cls += ' has-errors';
    return h('div', {class: cls}, parts, errors.length ? h('ul', {class: 'errors'}, errors.map(e => h('li', {}, e))) : null);
  }

  function entryRow(x, entry, i) {
    const buttons = state.writes ? h('td', {class: 'actions'},
      h('button', {onclick: () => { state.editing = {host: x.host, index: i, entry: {...entry}}; render(); }}, 'Edit'),
      h('button', {class: 'danger', onclick: () => {
        if (!confirm(`Delete the entry for ${entry.path} on ${x.host}?`)) return;
        const entries = x.entries.filter((_, j) => j !== i);
        save(x, entries);
      }}, 'Delete')) : h('td', {});
    return h('tr', {}, h('td', {class: 'mono'}, entry.path ?? ''), h('td', {}, entry.topic ?? ''),
      h('td', {}, (entry.exclude || []).join(', ')), h('td', {}, entry.codec ?? 'json'),
      h('td', {}, entry.start_at ?? 'beginning'), buttons);
  }

  function editor(x) {
    const e = state.editing;
    const isNew = e.index === null;
    const path = h('input', {name: 'path', class: 'mono', placeholder: '/var/log/app/*.log', value: e.entry.path || ''});
    const topic = h('input', {name: 'topic', placeholder: 'app_log', value: e.entry.topic || ''});
    const exclude = h('input', {name: 'exclude', placeholder: 'globs, comma-separated', value: (e.entry.exclude || []).join(', ')});
    const codec = h('select', {name: 'codec'}, h('option', {value: 'json'}, 'json'), h('option', {value: 'raw'}, 'raw'));
    codec.value = e.entry.codec || 'json';
    const startAt = h('select', {name: 'start_at'}, h('option', {value: 'beginning'}, 'beginning'), h('option', {value: 'end'}, 'end'));
    startAt.value = e.entry.start_at || 'beginning';
    const errors = h('div', {class: 'editor-errors'});
    const submit = async () => {
      const entry = {...e.entry, path: path.value.trim(), topic: topic.value.trim(), codec: codec.value, start_at: startAt.value};
      const ex = exclude.value.split(',').map(s => s.trim()).filter(Boolean);
      if (ex.length) entry.exclude = ex; else delete entry.exclude;
      const entries = x.entries.slice();
      if (isNew) entries.push(entry); else entries[e.index] = entry;
      try {
        const v = await api('/api/collect/validate', {method: 'POST', body: {host: x.host, entries}});
        if (!v.valid) { clear(errors).appendChild(message('error', 'Not saved:', v.errors)); return; }
      } catch (err) { clear(errors).appendChild(message('error', err.message, err.details)); return; }
      const saved = await save(x, entries);
      if (saved) { state.editing = null; render(); }
    };
    return h('tr', {class: 'editor'}, h('td', {colspan: '6'},
      h('div', {class: 'form'},
        h('label', {}, 'Path ', path), h('label', {}, 'Topic ', topic), h('label', {}, 'Exclude ', exclude),
        h('label', {}, 'Codec ', codec), h('label', {}, 'Start at ', startAt),
        h('button', {class: 'primary', id: 'save-entry', onclick: submit}, isNew ? 'Add' : 'Save'),
        h('button', {onclick: () => { state.editing = null; render(); }}, 'Cancel')),
      errors));
  }

  async function save(x, entries) {
    try {
      const r = await api(`/api/collect/${encodeURIComponent(x.host)}`, {method: 'PUT',
        body: {entries, revision: x.revision || 0}});
      state.waiting.set(x.host, r.revision);
      showStatus('ok', `Saved ${x.host}: ${r.entries.length} entries at etcd revision ${r.revision}.`);
      await load();
      return true;
    } catch (e) {
      const hint = e.kind === 'unauthorized' ? ' (log in again)' : '';
      showStatus('error', `Not saved: ${e.message}${hint}`, e.details);
      if (e.kind === 'conflict') await load();
      return false;
    }
  }

  function render() {
    clear(list);
    if (!state.hosts.length) {
      list.appendChild(message('empty', 'No collect keys and no agents in etcd yet.'));
      return;
    }
    for (const x of state.hosts) {
      const rows = x.entries.map((entry, i) =>
        state.editing && state.editing.host === x.host && state.editing.index === i ? editor(x) : entryRow(x, entry, i));
      if (state.editing && state.editing.host === x.host && state.editing.index === null) rows.push(editor(x));
      list.appendChild(h('div', {class: 'host card', 'data-host': x.host},
        h('div', {class: 'card-head'}, h('h3', {}, x.host),
          h('span', {class: 'mono dim'}, x.key ? `${x.key} @ revision ${x.revision}` : 'no key yet'),
          h('a', {class: 'history-link', href: `#/history/${encodeURIComponent(x.host)}`}, 'History'),
          state.writes && !state.editing ? h('button', {class: 'add-entry', onclick: () => {
            state.editing = {host: x.host, index: null, entry: {}}; render();
          }}, 'Add entry') : null),
        agentLine(x),
        x.value_error ? message('error', `etcd value: ${x.value_error}`) : null,
        h('table', {class: 'entries'},
          h('thead', {}, h('tr', {}, ['Path', 'Topic', 'Exclude', 'Codec', 'Start at', ''].map(t => h('th', {}, t)))),
          h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', {colspan: '6', class: 'dim'}, 'No entries.'))))));
    }
  }

  load();
  state.timer = setInterval(() => { if (!state.editing) load(); }, 2000);
  return () => clearInterval(state.timer);
}
