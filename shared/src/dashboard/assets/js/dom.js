// dom.js: elements built from data. Text only ever goes in as text (textContent, text nodes),
// never as markup, so a booker's name such as <img src=x onerror=...> shows as what it is.

const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') el.textContent = String(value);
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of [].concat(children === undefined ? [] : children)) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: h('td', {class: 'num'}, ['3']). */
function h(tag, attrs, children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element. */
function s(tag, attrs, children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function $(id) {
  return document.getElementById(id);
}

function replace(el, ...children) {
  el.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
}

/** A note where a section cannot show its data. */
function note(text) {
  return h('p', { class: 'note', text });
}

const fmt = {
  int: (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-GB')),
  rate: (r) => (r === null || r === undefined ? '–' : `${Math.round(r * 1000) / 10}%`),
  /** A calendar day (YYYY-MM-DD) as "Tue 3 Mar 2026"; `short` gives "3 Mar". */
  day(iso, short) {
    const [y, m, d] = String(iso).split('-').map(Number);
    const options = short
      ? { day: 'numeric', month: 'short', timeZone: 'UTC' }
      : { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' };
    return new Intl.DateTimeFormat('en-GB', options).format(new Date(Date.UTC(y, m - 1, d)));
  },
  /** An instant in the account's time zone: "Tue 10 Mar 2026, 14:00". */
  when(iso, timeZone) {
    if (!iso) return '–';
    const options = {
      weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
      hour: '2-digit', minute: '2-digit', timeZone,
    };
    try {
      return new Intl.DateTimeFormat('en-GB', options).format(new Date(iso));
    } catch (e) {
      return iso;
    }
  },
  provider: (p) => ({ calcom: 'Cal.com', calendly: 'Calendly', manual: 'Manual' })[p] || String(p),
  or: (text, fallback) => (text === null || text === undefined || text === '' ? fallback : String(text)),
};

