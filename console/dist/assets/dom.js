// Building DOM without innerHTML: every piece of data becomes a text node.
// h('div', {class: 'x', onclick: fn}, 'text', child) -> element.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled') {
      el[key] = value;
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export const HL_PRE = '\uE000';
export const HL_POST = '\uE001';

// Renders `text` into `el`; only the exact highlight markers become <mark> elements, everything else is text.
export function highlighted(el, text) {
  let inside = false;
  let buf = '';
  const flush = () => {
    if (!buf) return;
    el.appendChild(inside ? h('mark', {}, buf) : document.createTextNode(buf));
    buf = '';
  };
  for (const ch of String(text)) {
    if (ch === HL_PRE) { flush(); inside = true; }
    else if (ch === HL_POST) { flush(); inside = false; }
    else buf += ch;
  }
  flush();
  return el;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// Local time with milliseconds: 2026-11-22 10:00:00.123
export function formatTime(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value ?? '');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatBytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Number(n);
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

export function message(kind, text, details) {
  return h('div', {class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : 'status'},
    h('span', {}, text),
    details && details.length ? h('ul', {}, details.map(d => h('li', {}, d))) : null);
}
