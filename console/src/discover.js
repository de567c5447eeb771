// Discover: query bar, index pattern, time picker, histogram (uPlot, drag to zoom), field sidebar, results
// newest first with highlights, row expansion, infinite scroll (search_after) and live tail.
import {api, describe} from './api.js';
import {clear, formatTime, h, highlighted, message} from './dom.js';

const RANGES = {'15m': 15 * 60e3, '1h': 3600e3, '24h': 24 * 3600e3, '7d': 7 * 24 * 3600e3};
const PAGE = 100;
const TAIL_MS = 1500;
const TAIL_LOOKBACK_MS = 5000;

function toLocalInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60e3);
  return d.toISOString().slice(0, 19);
}

// The pattern the user last chose in this browser: Discover opens on it the next time.
const CHOSEN_INDEX = 'logpipe.discover.index';

function chosenIndex() {
  try { return localStorage.getItem(CHOSEN_INDEX); } catch (e) { return null; }
}

function rememberIndex(index) {
  try { localStorage.setItem(CHOSEN_INDEX, index); } catch (e) { /* storage disabled: not remembered */ }
}

export function mount(root, info) {
  const saved = new URLSearchParams(location.hash.split('?')[1] || '');
  const state = {
    // The link's pattern, else the user's last choice, else the configured default; with none of these,
    // loadIndices picks the family holding the newest document.
    index: saved.get('index') || chosenIndex() || info.default_index || '',
    query: saved.get('q') || '',
    range: saved.get('range') || '15m',
    from: Number(saved.get('from')) || 0,
    to: Number(saved.get('to')) || 0,
    hits: [],
    ids: new Set(),
    cursor: null,
    total: 0,
    loading: false,
    exhausted: false,
    generation: 0,
    tailTimer: null,
    tailSince: 0,
    chart: null,
  };

  const indexSelect = h('select', {id: 'index', 'aria-label': 'Index pattern', onchange: () => {
    state.index = indexSelect.value; rememberIndex(state.index); run();
  }});
  const queryInput = h('input', {id: 'query', type: 'search', placeholder: 'Lucene query, e.g. error AND host.name:web-1',
    value: state.query, autocomplete: 'off', spellcheck: 'false',
    onkeydown: e => { if (e.key === 'Enter') { state.query = queryInput.value; run(); } }});
  const rangeSelect = h('select', {id: 'range', 'aria-label': 'Time range', onchange: () => {
    state.range = rangeSelect.value;
    absolute.hidden = state.range !== 'abs';
    if (state.range === 'abs') {
      const now = Date.now();
      fromInput.value = toLocalInput(now - 3600e3);
      toInput.value = toLocalInput(now);
      return;
    }
    run();
  }},
  h('option', {value: '15m'}, 'Last 15 minutes'), h('option', {value: '1h'}, 'Last 1 hour'),
  h('option', {value: '24h'}, 'Last 24 hours'), h('option', {value: '7d'}, 'Last 7 days'),
  h('option', {value: 'abs'}, 'Absolute range…'));
  rangeSelect.value = state.range;
  const fromInput = h('input', {type: 'datetime-local', step: '1', id: 'from', 'aria-label': 'From'});
  const toInput = h('input', {type: 'datetime-local', step: '1', id: 'to', 'aria-label': 'To'});
  const absolute = h('span', {class: 'absolute'}, fromInput, ' → ', toInput);
  absolute.hidden = state.range !== 'abs';
  if (state.range === 'abs' && state.from && state.to) {
    fromInput.value = toLocalInput(state.from);
    toInput.value = toLocalInput(state.to);
  }
  const searchButton = h('button', {id: 'search', class: 'primary', onclick: () => { state.query = queryInput.value; run(); }}, 'Search');
  const tailBox = h('input', {type: 'checkbox', id: 'tail', onchange: () => setTail(tailBox.checked)});
  const tailLabel = h('label', {class: 'tail'}, tailBox, ' Live tail');
  const status = h('div', {id: 'status', class: 'status'});
  const chartBox = h('div', {id: 'histogram', class: 'histogram'});
  const sidebar = h('aside', {id: 'fields', class: 'fields'});
  const tbody = h('tbody', {id: 'rows'});
  const table = h('table', {class: 'results', id: 'results'},
    h('thead', {}, h('tr', {}, h('th', {class: 'c-time'}, 'Time'), h('th', {class: 'c-host'}, 'Host'),
      h('th', {class: 'c-file'}, 'File'), h('th', {}, 'Message'))), tbody);
  const sentinel = h('div', {class: 'sentinel', id: 'more'});
  root.appendChild(h('section', {class: 'discover'},
    h('div', {class: 'toolbar'}, indexSelect, queryInput, rangeSelect, absolute, searchButton, tailLabel),
    status, chartBox,
    h('div', {class: 'body'}, sidebar, h('div', {class: 'table-wrap'}, table, sentinel))));

  function timeRange() {
    if (state.range === 'abs') {
      const from = new Date(fromInput.value).getTime();
      const to = new Date(toInput.value).getTime();
      return [from, to];
    }
    const to = Date.now();
    return [to - RANGES[state.range], to];
  }

  function remember() {
    const p = new URLSearchParams({index: state.index, q: state.query, range: state.range});
    if (state.range === 'abs') { p.set('from', state.from); p.set('to', state.to); }
    history.replaceState(null, '', `#/discover?${p}`);
  }

  function showStatus(kind, text) {
    clear(status).appendChild(message(kind, text));
  }

  async function loadIndices() {
    try {
      const r = await api('/api/indices');
      if (!state.index) state.index = r.newest || r.patterns[0] || '*';
      const options = r.patterns.length ? r.patterns : [state.index];
      if (!options.includes(state.index)) options.unshift(state.index);
      clear(indexSelect);
      for (const p of options) indexSelect.appendChild(h('option', {value: p}, p));
      indexSelect.value = state.index;
    } catch (e) {
      if (!state.index) state.index = '*';
      clear(indexSelect).appendChild(h('option', {value: state.index}, state.index));
    }
  }

  async function run() {
    const [from, to] = timeRange();
    if (!(from < to)) { showStatus('error', 'Invalid time range: "from" must be before "to".'); return; }
    state.from = from; state.to = to;
    state.generation++;
    const generation = state.generation;
    state.hits = []; state.ids.clear(); state.cursor = null; state.exhausted = false; state.total = 0;
    clear(tbody);
    remember();
    showStatus('info', 'Searching…');
    const started = performance.now();
    const base = {index: state.index, query: state.query, from_ms: from, to_ms: to};
    const page = api('/api/search', {method: 'POST', body: {...base, size: PAGE}});
    // Handlers attached now: a failure of these must never be an unhandled rejection.
    const hist = api('/api/histogram', {method: 'POST', body: base}).catch(() => null);
    const fields = api('/api/fields', {method: 'POST', body: base}).catch(() => null);
    try {
      const r = await page;
      if (generation !== state.generation) return;
      state.total = r.total;
      addHits(r.hits, false);
      state.exhausted = r.hits.length < PAGE;
      const ms = Math.round(performance.now() - started);
      root.dataset.firstResultsMs = String(ms);
      if (r.hits.length === 0) showStatus('empty', 'No results match this query in this time range.');
      else showStatus('ok', `${r.total.toLocaleString()} hits (first ${r.hits.length} in ${ms} ms)`);
    } catch (e) {
      if (generation !== state.generation) return;
      showStatus('error', describe(e));
      state.exhausted = true;
      drawHistogram(null);
      clear(sidebar);
      return;
    }
    hist.then(r => { if (generation === state.generation) drawHistogram(r); });
    fields.then(r => { if (generation !== state.generation) return; if (r) drawFields(r); else clear(sidebar); });
    if (state.tailTimer) state.tailSince = Math.max(Date.now() - TAIL_LOOKBACK_MS, to - TAIL_LOOKBACK_MS);
  }

  async function loadMore() {
    if (state.loading || state.exhausted || !state.cursor) return;
    state.loading = true;
    const generation = state.generation;
    try {
      const r = await api('/api/search', {method: 'POST', body: {index: state.index, query: state.query,
        from_ms: state.from, to_ms: state.to, size: PAGE, search_after: state.cursor}});
      if (generation !== state.generation) return;
      addHits(r.hits, false);
      state.exhausted = r.hits.length < PAGE;
    } catch (e) {
      showStatus('error', describe(e));
      state.exhausted = true;
    } finally {
      state.loading = false;
    }
  }

  function row(hit, fresh) {
    const msg = h('td', {class: 'c-msg'});
    if (typeof hit.highlight === 'string') highlighted(msg, hit.highlight);
    else msg.textContent = hit.message === null || hit.message === undefined ? '' : String(hit.message);
    const tr = h('tr', {class: fresh ? 'hit fresh' : 'hit', 'data-id': hit.id, tabindex: '0'},
      h('td', {class: 'c-time'}, formatTime(hit.ts)),
      h('td', {class: 'c-host'}, hit.host ?? ''),
      h('td', {class: 'c-file', title: hit.file ?? ''}, hit.file ?? ''),
      msg);
    const toggle = () => {
      const next = tr.nextSibling;
      if (next && next.classList && next.classList.contains('detail')) { next.remove(); return; }
      const pre = h('pre', {class: 'json'});
      pre.textContent = JSON.stringify(hit.source, null, 2);
      tr.after(h('tr', {class: 'detail'}, h('td', {colspan: '4'},
        h('div', {class: 'detail-meta'}, `_index ${hit.index}   _id ${hit.id}`), pre)));
    };
    tr.addEventListener('click', toggle);
    tr.addEventListener('keydown', e => { if (e.key === 'Enter') toggle(); });
    return tr;
  }

  function addHits(hits, atTop) {
    const fragment = document.createDocumentFragment();
    for (const hit of hits) {
      if (state.ids.has(hit.id)) continue;
      state.ids.add(hit.id);
      fragment.appendChild(row(hit, atTop));
      if (!atTop) { state.hits.push(hit); state.cursor = hit.sort; }
    }
    if (atTop) tbody.insertBefore(fragment, tbody.firstChild);
    else tbody.appendChild(fragment);
  }

  function drawHistogram(r) {
    if (state.chart) { state.chart.destroy(); state.chart = null; }
    clear(chartBox);
    if (!r || typeof uPlot === 'undefined') return;
    const xs = r.buckets.map(b => b[0] / 1000);
    const ys = r.buckets.map(b => b[1]);
    const width = Math.max(300, chartBox.clientWidth || root.clientWidth - 40);
    state.chart = new uPlot({
      width, height: 120,
      legend: {show: false},
      cursor: {drag: {x: true, y: false, setScale: false}, y: false},
      scales: {x: {time: true, range: [state.from / 1000, state.to / 1000]}},
      axes: [{stroke: '#556', grid: {show: false}}, {stroke: '#556', size: 50, grid: {stroke: '#eef'}}],
      series: [{}, {label: 'hits', fill: '#3b82f6aa', stroke: '#2563eb',
        paths: uPlot.paths.bars({size: [0.9, 100]}), points: {show: false}}],
      hooks: {setSelect: [u => {
        if (u.select.width < 3) return;
        const from = Math.round(u.posToVal(u.select.left, 'x') * 1000);
        const to = Math.round(u.posToVal(u.select.left + u.select.width, 'x') * 1000);
        u.setSelect({left: 0, width: 0, top: 0, height: 0}, false);
        state.range = 'abs';
        rangeSelect.value = 'abs';
        absolute.hidden = false;
        fromInput.value = toLocalInput(from);
        toInput.value = toLocalInput(to);
        run();
      }]},
    }, [xs, ys], chartBox);
  }

  function quote(value) {
    return `"${String(value).replace(/(["\\])/g, '\\$1')}"`;
  }

  function drawFields(r) {
    clear(sidebar);
    sidebar.appendChild(h('h3', {}, 'Fields'));
    for (const f of r.fields) {
      if (!f.values.length) continue;
      const list = h('ul', {});
      for (const v of f.values) {
        list.appendChild(h('li', {},
          h('button', {class: 'link', title: `Filter on ${f.field}: ${v.value}`, onclick: () => {
            const clause = `${f.field}:${quote(v.value)}`;
            state.query = state.query.trim() ? `(${state.query}) AND ${clause}` : clause;
            queryInput.value = state.query;
            run();
          }}, String(v.value)),
          h('span', {class: 'count'}, v.count)));
      }
      sidebar.appendChild(h('div', {class: 'field'}, h('h4', {}, f.field), list));
    }
  }

  async function tailOnce() {
    const generation = state.generation;
    try {
      const r = await api('/api/tail', {method: 'POST', body: {index: state.index, query: state.query, since_ms: Math.max(0, Math.floor(state.tailSince))}});
      if (generation !== state.generation || !state.tailTimer) return;
      let newest = state.tailSince;
      const fresh = [];
      for (const hit of r.hits) {
        const t = new Date(hit.ts).getTime();
        if (t > newest) newest = t;
        if (!state.ids.has(hit.id)) fresh.push(hit);
      }
      // Newest first at the top: the tail answer is oldest first.
      addHits(fresh.reverse(), true);
      if (fresh.length) {
        state.total += fresh.length;
        showStatus('ok', `${state.total.toLocaleString()} hits · live tail: ${fresh.length} new`);
      }
      state.tailSince = r.hits.length >= 500 ? newest : Math.max(state.tailSince, newest - TAIL_LOOKBACK_MS);
      if (state.ids.size > 20000) trimIds();
    } catch (e) {
      showStatus('error', `Live tail: ${describe(e)}`);
    }
  }

  function trimIds() {
    state.ids = new Set([...tbody.querySelectorAll('tr.hit')].map(tr => tr.dataset.id));
  }

  function setTail(on) {
    if (state.tailTimer) { clearInterval(state.tailTimer); state.tailTimer = null; }
    root.classList.toggle('tailing', on);
    if (!on) return;
    if (state.range === 'abs') { state.range = '15m'; rangeSelect.value = '15m'; absolute.hidden = true; }
    state.tailSince = Date.now() - TAIL_LOOKBACK_MS;
    state.tailTimer = setInterval(tailOnce, TAIL_MS);
    tailOnce();
  }

  const observer = new IntersectionObserver(entries => {
    if (entries.some(e => e.isIntersecting)) loadMore();
  }, {rootMargin: '400px'});
  observer.observe(sentinel);

  loadIndices().then(run);
  return () => {
    state.generation++;
    if (state.tailTimer) clearInterval(state.tailTimer);
    observer.disconnect();
    if (state.chart) state.chart.destroy();
  };
}
