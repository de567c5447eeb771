// Host metrics: CPU, memory, load, disk and network charts for one host, from the agents' system.metrics
// events (date_histogram + avg/max per bucket, computed by the server).
import {api, describe} from './api.js';
import {clear, formatBytes, h, message} from './dom.js';

const RANGES = {'15m': 15 * 60e3, '1h': 3600e3, '24h': 24 * 3600e3, '7d': 7 * 24 * 3600e3};
const CHARTS = [
  {id: 'cpu', title: 'CPU (normalized)', series: [['cpu', 'busy', '#2563eb']], pct: true},
  {id: 'memory', title: 'Memory used', series: [['memory', 'used', '#7c3aed']], pct: true},
  {id: 'load', title: 'Load (1 min)', series: [['load', 'load 1', '#0891b2']]},
  {id: 'disk', title: 'Disk used (fullest filesystem)', series: [['disk', 'used', '#ea580c']], pct: true},
  {id: 'net', title: 'Network (bytes/s)', series: [['net_in', 'in', '#16a34a'], ['net_out', 'out', '#dc2626']], bytes: true},
];

export function mount(root, info) {
  const state = {charts: [], index: info.default_index || 'logpipe-*'};
  const hostSelect = h('select', {id: 'metrics-host', onchange: draw});
  const rangeSelect = h('select', {id: 'metrics-range', onchange: () => { loadHosts(); }},
    Object.keys(RANGES).map(k => h('option', {value: k}, `Last ${k}`)));
  rangeSelect.value = '1h';
  const status = h('div', {class: 'status', id: 'metrics-status'});
  const grid = h('div', {class: 'charts', id: 'charts'});
  root.appendChild(h('section', {class: 'metrics'},
    h('div', {class: 'toolbar'}, h('h2', {}, 'Host metrics'), hostSelect, rangeSelect), status, grid));

  const range = () => { const to = Date.now(); return [to - RANGES[rangeSelect.value], to]; };

  async function loadHosts() {
    const [from, to] = range();
    try {
      const r = await api('/api/metrics/hosts', {method: 'POST', body: {index: state.index, from_ms: from, to_ms: to}});
      const current = hostSelect.value;
      clear(hostSelect);
      for (const host of r.hosts) hostSelect.appendChild(h('option', {value: host}, host));
      if (r.hosts.includes(current)) hostSelect.value = current;
      if (!r.hosts.length) {
        clear(status).appendChild(message('empty', 'No host metrics in this time range (agents send them with [host_metrics]).'));
        clearCharts();
        return;
      }
      draw();
    } catch (e) {
      clear(status).appendChild(message('error', describe(e)));
    }
  }

  function clearCharts() {
    for (const c of state.charts) c.destroy();
    state.charts = [];
    clear(grid);
  }

  async function draw() {
    const host = hostSelect.value;
    if (!host) return;
    const [from, to] = range();
    try {
      const r = await api('/api/metrics', {method: 'POST', body: {index: state.index, host, from_ms: from, to_ms: to}});
      clear(status);
      clearCharts();
      for (const spec of CHARTS) {
        const box = h('div', {class: 'chart card', 'data-chart': spec.id}, h('h3', {}, spec.title));
        grid.appendChild(box);
        const width = Math.max(300, box.clientWidth - 26);
        const data = [r.t].concat(spec.series.map(([key]) => r[key].map(v => v === null ? null : (spec.pct ? v * 100 : v))));
        const fmt = spec.bytes ? (u, v) => v === null ? '–' : `${formatBytes(v)}/s` : spec.pct ? (u, v) => v === null ? '–' : `${v.toFixed(1)} %` : (u, v) => v === null ? '–' : v.toFixed(2);
        state.charts.push(new uPlot({
          width, height: 180,
          scales: {x: {time: true, range: [from / 1000, to / 1000]}, y: spec.pct ? {range: [0, 100]} : {}},
          axes: [{stroke: '#556'}, {stroke: '#556', size: 80, values: (u, ticks) => ticks.map(v => fmt(u, v))}],
          series: [{}].concat(spec.series.map(([, label, color]) => ({label, stroke: color, width: 2, value: fmt, spanGaps: true}))),
        }, data, box));
      }
    } catch (e) {
      clear(status).appendChild(message('error', describe(e)));
    }
  }

  loadHosts();
  const timer = setInterval(draw, 10000);
  return () => { clearInterval(timer); clearCharts(); };
}
