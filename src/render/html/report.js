// otelsnap report: draws the JSON documents embedded in this page. Every name, key, value and
// template in them is telemetry from somewhere, so data reaches the page only as text nodes
// (textContent); no markup is ever built from strings. Links are fragments we build ourselves.
(function () {
  'use strict';

  const CHANGES_PER_PAGE = 50;
  const ROWS_PER_PAGE = 100;
  const SIGNALS = [['metric', 'Metrics'], ['span', 'Spans'], ['log', 'Logs'], ['attribute', 'Attributes']];
  const SEVERITIES = ['critical', 'warning', 'info'];
  const TAB_OF = { metric: 'metrics', span: 'spans', log: 'logs', attribute: 'attributes' };

  // ---------- small helpers ----------

  function h(tag, props) {
    const e = document.createElement(tag);
    if (props) {
      for (const k of Object.keys(props)) {
        const v = props[k];
        if (v == null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'style') Object.assign(e.style, v);
        else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (let i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }

  function add(parent, kid) {
    if (kid == null || kid === false) return;
    if (Array.isArray(kid)) { for (const k of kid) add(parent, k); return; }
    parent.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }

  function code(s) { return h('code', null, s); }

  function num(n) {
    if (typeof n !== 'number' || !isFinite(n)) return n == null ? '—' : String(n);
    if (Number.isInteger(n)) return n.toLocaleString('en-US');
    return n.toLocaleString('en-US', { maximumFractionDigits: Math.abs(n) < 10 ? 2 : 1 });
  }

  function card(n, approximate) { return (approximate ? '≈' : '') + num(n); }

  function value(v) {
    if (v === null || v === undefined) return '—';
    // A verdict finding's side ({verdict, confidence, reason}); its reason is in the message.
    if (typeof v === 'object' && typeof v.verdict === 'string') return v.verdict + (typeof v.confidence === 'number' ? ' (' + Math.round(v.confidence * 100) + '%)' : '');
    if (typeof v === 'number') return num(v);
    if (typeof v === 'string') return v;
    if (typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return '[' + v.map(value).join(', ') + ']';
    return JSON.stringify(v);
  }

  function plural(n, one, many) { return num(n) + ' ' + (n === 1 ? one : (many || one + 's')); }

  // As the text formats write them: `60 s` for a rate basis, `1m 0s` for a window.
  function seconds(s) {
    if (s == null) return '';
    return (Number.isInteger(s) ? String(s) : s.toFixed(1)) + ' s';
  }

  function duration(s) {
    if (s == null) return '';
    const w = Math.round(s);
    if (s < 60) return s.toFixed(1) + 's';
    if (w < 3600) return Math.floor(w / 60) + 'm ' + (w % 60) + 's';
    return Math.floor(w / 3600) + 'h ' + Math.floor((w % 3600) / 60) + 'm';
  }

  function bytes(n) {
    if (n == null) return '';
    const u = ['B', 'KiB', 'MiB', 'GiB'];
    let i = 0;
    let x = n;
    while (x >= 1024 && i < u.length - 1) { x /= 1024; i++; }
    return (i === 0 ? x : x.toFixed(1)) + ' ' + u[i];
  }

  function dl(cls, pairs) {
    const d = h('dl', { class: cls });
    for (const [k, v] of pairs) {
      if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
      d.append(h('dt', null, k), h('dd', null, v));
    }
    return d;
  }

  // Fields added to the JSON later (completeness, verdicts) are shown as they come, flattened.
  function flatPairs(obj, prefix, out) {
    for (const k of Object.keys(obj || {})) {
      const v = obj[k];
      const name = prefix ? prefix + '.' + k : k;
      if (v && typeof v === 'object' && !Array.isArray(v)) flatPairs(v, name, out);
      else out.push([name, value(v)]);
    }
    return out;
  }

  function sevBadge(s) { return h('span', { class: 'sev ' + s }, s); }

  // A block is plain JSON, or (when large) gzipped JSON in base64, inflated by the browser.
  async function data(id) {
    const el = document.getElementById(id);
    if (!el) return null;
    if (el.type === 'application/json') return JSON.parse(el.textContent);
    const b64 = el.textContent;
    let bytes;
    if (Uint8Array.fromBase64) bytes = Uint8Array.fromBase64(b64);
    else {
      const bin = atob(b64);
      bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    }
    const text = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
    return JSON.parse(text);
  }

  // Log scale: cardinalities span 1 to millions, and a linear bar would hide all but the top.
  function bar(v, max, text) {
    const w = max > 0 && v > 0 ? Math.max(2, Math.round(80 * Math.log10(v + 1) / Math.log10(max + 1))) : 0;
    return h('div', { class: 'bar' }, h('span', { class: 'b', style: { width: w + 'px' } }), h('span', { class: 'v' }, text));
  }

  // ---------- the embedded documents ----------

  let DIFF = null;
  const SIDES = {};

  // A diff page's side: its items are embedded whole (or those the changes name), as one block.
  function makeSide(key, label, show, items) {
    const index = { metric: new Map(), span: new Map(), log: new Map(), attribute: new Map() };
    for (const m of items.metrics) index.metric.set(m.name, m);
    for (const x of items.spans) {
      if (!index.span.has(x.name)) index.span.set(x.name, []);
      index.span.get(x.name).push(x);
    }
    for (const x of items.logs) index.log.set(x.severity, x);
    for (const a of items.attributes) index.attribute.set(a.key, a);
    const rows = {
      metrics: items.metrics.map((m, i) => ({ name: m.name, type: m.type, unit: m.unit || '', series: m.active_series, seriesApprox: !!m.series_approximate, points: m.data_point_count, keys: Object.keys(m.label_keys || {}).length, top: topKey(m.label_keys), services: Object.keys(m.services || {}), i })),
      spans: items.spans.map((x, i) => ({ name: x.name, kind: x.kind, kindName: x.kind_name, spans: x.sample_count, keys: Object.keys(x.attribute_keys || {}).length, top: topKey(x.attribute_keys), services: Object.keys(x.services || {}), i })),
      logs: items.logs.map((x, i) => ({ name: x.severity, number: x.severity_number, records: x.sample_count, keys: Object.keys(x.attribute_keys || {}).length, top: topKey(x.attribute_keys), templates: (x.body_templates || []).length, services: Object.keys(x.services || {}), i })),
      attributes: items.attributes.map((a, i) => ({ name: a.key, card: a.estimated_cardinality, approx: !!a.approximate, count: a.count, signals: a.signal_types || [], scope: a.scope, samples: a.value_samples || [], i }))
    };
    const svc = {};
    for (const [list, f] of [[items.metrics, 0], [items.spans, 1], [items.logs, 2]]) {
      for (const x of list) {
        for (const n of Object.keys(x.services || {})) {
          const r = svc[n] || (svc[n] = [0, 0, 0, 0]);
          r[f]++;
          r[3] += x.services[n];
        }
      }
    }
    rows.services = serviceRows(show, svc);
    return {
      key, label, show, items, index, rows,
      detail: (tab, r) => items[tab][r.i],
      load: () => Promise.resolve()
    };
  }

  function serviceRows(show, counts) {
    const names = new Set(show.session.services || []);
    for (const n of Object.keys(counts)) names.add(n);
    return Array.from(names, n => {
      const c = counts[n] || [0, 0, 0, 0];
      return { name: n, metrics: c[0], spans: c[1], logs: c[2], points: c[3] };
    });
  }

  function tupleTop(t) { return t[0] == null ? null : { key: t[0], card: t[1], approximate: t[2] }; }

  // A session page's side: its tables are drawn from compact rows (one tuple per item), and an
  // item's full record (all its keys) is inflated from its chunk of items only when it is shown.
  function makeSessionSide(show, rows) {
    const per = rows.chunk_items;
    const table = {
      metrics: rows.metrics.map((t, i) => ({ name: t[0], type: t[1], unit: t[2], series: t[3], seriesApprox: t[4], points: t[5], keys: t[6], top: tupleTop(t[7]), services: t[8], i })),
      spans: rows.spans.map((t, i) => ({ name: t[0], kind: t[1], kindName: t[2], spans: t[3], keys: t[4], top: tupleTop(t[5]), services: t[6], i })),
      logs: rows.logs.map((t, i) => ({ name: t[0], number: t[1], records: t[2], keys: t[3], top: tupleTop(t[4]), templates: t[5], services: t[6], i })),
      attributes: rows.attributes.map((t, i) => ({ name: t[0], card: t[1], approx: t[2], count: t[3], signals: t[4], scope: t[5], samples: t[6], i })),
      services: serviceRows(show, rows.services)
    };
    const chunks = new Map();
    const pending = new Map();
    const idOf = (tab, r) => 'otelsnap-items-' + tab + '-' + Math.floor(r.i / per);
    return {
      key: 'session', label: 'Session', show, items: null, rows: table,
      detail(tab, r) {
        const id = idOf(tab, r);
        if (!chunks.has(id)) {
          // Plain blocks (small sessions) parse at once; packed ones wait for load().
          const el = document.getElementById(id);
          if (!el || el.type !== 'application/json') return undefined;
          chunks.set(id, JSON.parse(el.textContent));
        }
        return chunks.get(id)[r.i % per];
      },
      load(tab, r) {
        const id = idOf(tab, r);
        if (chunks.has(id)) return Promise.resolve();
        if (!pending.has(id)) pending.set(id, data(id).then(v => { chunks.set(id, v || []); pending.delete(id); }));
        return pending.get(id);
      }
    };
  }

  async function load() {
    DIFF = await data('otelsnap-diff');
    if (DIFF) {
      const [fs, fi, ts, ti] = await Promise.all(['from-show', 'from-items', 'to-show', 'to-items'].map(x => data('otelsnap-' + x)));
      SIDES.from = makeSide('from', 'FROM', fs, fi);
      SIDES.to = makeSide('to', 'TO', ts, ti);
    } else {
      const [show, rows] = await Promise.all([data('otelsnap-show'), data('otelsnap-rows')]);
      SIDES.session = makeSessionSide(show, rows);
    }
    DEFAULTS.v = DIFF ? 'diff' : 'session';
  }

  // ---------- state in the URL fragment ----------

  const DEFAULTS = {
    v: 'diff',
    sig: '', svc: '', sev: '', q: '', open: '', p: '1',
    t: 'metrics', sq: '', sort: '', dir: '', sp: '1', item: ''
  };
  let state = null;
  let renderedHash = null;

  function readState() {
    const p = new URLSearchParams(location.hash.slice(1));
    const s = Object.assign({}, DEFAULTS);
    for (const k of Object.keys(DEFAULTS)) if (p.has(k)) s[k] = p.get(k);
    if (!SIDES[s.v] && s.v !== 'diff') s.v = DEFAULTS.v;
    if (s.v === 'diff' && !DIFF) s.v = DEFAULTS.v;
    return s;
  }

  function hashOf(s) {
    const p = new URLSearchParams();
    for (const k of Object.keys(DEFAULTS)) if (s[k] !== DEFAULTS[k] && s[k] !== '') p.set(k, s[k]);
    const t = p.toString();
    return t ? '#' + t : '#';
  }

  function go(patch, replace) {
    state = Object.assign({}, state, patch);
    const hash = hashOf(state);
    if (replace) history.replaceState(null, '', hash); else history.pushState(null, '', hash);
    render();
  }

  function onNavigate() {
    if (!state || location.hash === renderedHash) return;
    state = readState();
    render();
  }
  window.addEventListener('popstate', onNavigate);
  window.addEventListener('hashchange', onNavigate);

  function itemHref(side, kind, name) {
    return hashOf(Object.assign({}, DEFAULTS, { v: side, t: TAB_OF[kind], item: kind + ':' + name }));
  }

  // ---------- rendering ----------

  function render() {
    const app = document.getElementById('app');
    const focused = document.activeElement && document.activeElement.id;
    const caret = focused && document.activeElement.selectionStart;
    const root = h('div');
    if (state.v === 'diff') renderDiff(root); else renderSession(root, SIDES[state.v]);
    app.replaceChildren(root);
    renderedHash = location.hash || '#';
    if (focused) {
      const el = document.getElementById(focused);
      if (el) {
        el.focus();
        if (caret != null && el.setSelectionRange) el.setSelectionRange(caret, caret);
      }
    }
    const target = document.querySelector('.target');
    if (target && !focused) target.scrollIntoView({ block: 'center' });
  }

  function viewNav(root) {
    if (!DIFF) return;
    const nav = h('nav', { class: 'views', 'aria-label': 'Views' });
    const link = (v, text) => h('a', {
      href: hashOf(Object.assign({}, state, { v, item: '', sp: '1' })),
      'aria-current': state.v === v ? 'page' : null
    }, text);
    nav.append(link('diff', 'Diff'), link('from', ['FROM session: ', DIFF.from.id]), link('to', ['TO session: ', DIFF.to.id]));
    root.append(nav);
  }

  // ----- diff view -----

  function window_(c) {
    if (!c) return 'no capture window';
    return [c.started, ' → ', c.ended, c.window_seconds != null ? ' (' + duration(c.window_seconds) + ')' : ''];
  }

  // As the table words it (render::wording::rate_basis): observed time when both sides have
  // it, an older file's capture window otherwise.
  function rateBasis(d) {
    const fc = d.from.capture || {}, tc = d.to.capture || {};
    if (d.options.rate_basis === 'per_second') {
      if (fc.observed_seconds && tc.observed_seconds) {
        const b = fc.observed_basis === tc.observed_basis ? fc.observed_basis : 'mixed';
        const src = b === 'telemetry' ? "the telemetry's own timestamps" : b === 'requests' ? 'first to last request received' : 'telemetry timestamps and request times';
        return 'sample rates compared per second of observed time (' + seconds(fc.observed_seconds) + ' and ' + seconds(tc.observed_seconds) + ', from ' + src + ')';
      }
      const w = c => c.observed_seconds != null ? c.observed_seconds : c.window_seconds;
      return 'sample rates compared per second (windows ' + seconds(w(fc)) + ' and ' + seconds(w(tc)) + ')';
    }
    return 'sample counts compared raw, not rates: a session has no observation window';
  }

  function sideHeader(info, side) {
    const extra = flatPairs(Object.fromEntries(Object.entries(info).filter(([k]) => !['id', 'created', 'capture', 'signals'].includes(k))), '', []);
    const sec = h('section', null,
      h('h3', null, side.label, ': ', code(info.id), ' ', h('a', { href: hashOf(Object.assign({}, DEFAULTS, { v: side.key })) }, 'session view')),
      dl('kv', [['created', info.created], ['captured', window_(info.capture)], ['signals', info.signals.join(', ')]].concat(extra)));
    return sec;
  }

  function verdictText(d) {
    const s = d.summary;
    if (s.total === 0) return d.from.id + ' → ' + d.to.id + ': no changes';
    return d.from.id + ' → ' + d.to.id + ': ' + SEVERITIES.filter(x => s[x] > 0).map(x => s[x] + ' ' + x).join(', ');
  }

  let searchCache = null;
  function searchText(c) {
    if (!searchCache) searchCache = new Map();
    let t = searchCache.get(c);
    if (t === undefined) {
      t = [c.name, c.signal_type, c.type, c.severity].concat(c.services, c.details.map(x => x.field + ' ' + x.rule + ' ' + x.message)).join('\n').toLowerCase();
      searchCache.set(c, t);
    }
    return t;
  }

  function changeFilter(except) {
    const q = state.q.trim().toLowerCase();
    return c => (except === 'sig' || !state.sig || c.signal_type === state.sig) &&
      (except === 'svc' || !state.svc || c.services.includes(state.svc)) &&
      (except === 'sev' || !state.sev || c.severity === state.sev) &&
      (!q || searchText(c).includes(q));
  }

  function renderDiff(root) {
    const d = DIFF;
    const o = d.options;
    root.append(h('h1', null, 'otelsnap diff: ', code(d.from.id), ' → ', code(d.to.id)));
    viewNav(root);
    const general = [
      ['rates', rateBasis(d)],
      ['rules', o.rules.source ? code(o.rules.source) : 'built-in defaults (no rules file)'],
      ['shown', 'severity ' + o.min_severity + ' and above' + (o.signals.length ? '; signals ' + o.signals.join(', ') : '') + (o.service ? '; service ' + o.service : '')],
      ['exit', 'code ' + d.exit_code + (o.fail_on === 'never' ? ' (--fail-on never)' : ' (fails on ' + o.fail_on + ' and above)')],
      ['left out', [d.summary.ignored ? plural(d.summary.ignored, 'change') + ' ignored by rules' : '', d.summary.below_min_severity ? (d.summary.ignored ? '; ' : '') + plural(d.summary.below_min_severity, 'change') + ' below ' + o.min_severity : ''].join('')],
      ['ignore list', o.rules.ignore && o.rules.ignore.length ? o.rules.ignore.map(value).join(', ') : '']
    ].concat(flatPairs(Object.fromEntries(Object.entries(d).filter(([k]) => k === 'completeness')), '', []));
    root.append(h('div', { class: 'header' }, sideHeader(d.from, SIDES.from), sideHeader(d.to, SIDES.to), h('section', null, h('h3', null, 'Comparison'), dl('kv', general))));
    // The header's notes come worded in the JSON (signals one side lacks, incomplete sides).
    const notes = d.notes || d.not_compared.map(n => n.signal + ' not compared: captured only by ' + n.captured_by);
    if (notes.length) {
      root.append(h('ul', { class: 'notes' }, notes.map(n => h('li', null, n))));
    }
    root.append(h('p', { class: 'verdict', id: 'verdict' }, verdictText(d)));

    // Summary: per severity (buttons that filter) and per signal.
    const cards = h('div', { class: 'cards', role: 'group', 'aria-label': 'Severity summary' });
    for (const s of SEVERITIES) {
      cards.append(h('button', {
        class: 'card ' + s, type: 'button', 'data-severity': s, 'aria-pressed': state.sev === s ? 'true' : 'false',
        onclick: () => go({ sev: state.sev === s ? '' : s, p: '1', open: '' })
      }, h('span', { class: 'n' }, num(d.summary[s])), s));
    }
    root.append(cards);
    const bySig = d.summary.by_signal;
    const sigRows = Object.keys(bySig).map(k => h('tr', null, h('td', null, k), h('td', { class: 'num' }, num(bySig[k].added)), h('td', { class: 'num' }, num(bySig[k].removed)), h('td', { class: 'num' }, num(bySig[k].changed))));
    if (sigRows.length) {
      root.append(h('div', { class: 'table-wrap', style: { maxWidth: '520px' } }, h('table', { id: 'by-signal' },
        h('thead', null, h('tr', null, h('th', null, 'signal'), h('th', { class: 'num' }, 'added'), h('th', { class: 'num' }, 'removed'), h('th', { class: 'num' }, 'changed'))),
        h('tbody', null, sigRows))));
    }

    // Controls.
    h2(root, 'Changes');
    const controls = h('div', { class: 'controls' });
    const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': 'Signal', id: 'signal-tabs' });
    const bySigFilter = changeFilter('sig');
    const base = d.changes.filter(bySigFilter);
    tabs.append(h('button', { type: 'button', 'data-signal': '', 'aria-pressed': state.sig === '' ? 'true' : 'false', onclick: () => go({ sig: '', p: '1' }) }, 'All (' + base.length + ')'));
    for (const [k, label] of SIGNALS) {
      const n = base.filter(c => c.signal_type === k).length;
      tabs.append(h('button', { type: 'button', 'data-signal': k, 'aria-pressed': state.sig === k ? 'true' : 'false', onclick: () => go({ sig: k, p: '1' }) }, label + ' (' + n + ')'));
    }
    controls.append(tabs);
    const services = new Set();
    for (const c of d.changes) for (const s of c.services) services.add(s);
    if (state.svc) services.add(state.svc);
    const svcSel = h('select', { id: 'service', onchange: e => go({ svc: e.target.value, p: '1' }) },
      h('option', { value: '' }, 'all services'),
      Array.from(services).sort().map(s => h('option', { value: s, selected: s === state.svc }, s)));
    controls.append(h('label', { class: 'ctl' }, 'Service', svcSel));
    const sevSel = h('select', { id: 'severity', onchange: e => go({ sev: e.target.value, p: '1' }) },
      h('option', { value: '' }, 'all severities'),
      SEVERITIES.map(s => h('option', { value: s, selected: s === state.sev }, s)));
    controls.append(h('label', { class: 'ctl' }, 'Severity', sevSel));
    controls.append(h('label', { class: 'ctl' }, 'Search', h('input', {
      type: 'search', id: 'search', value: state.q, placeholder: 'name, key, field…', autocomplete: 'off',
      oninput: e => go({ q: e.target.value, p: '1' }, true)
    })));
    root.append(controls);

    const shown = d.changes.filter(changeFilter());
    const pages = Math.max(1, Math.ceil(shown.length / CHANGES_PER_PAGE));
    const page = Math.min(pages, Math.max(1, parseInt(state.p, 10) || 1));
    root.append(h('p', { class: 'count', id: 'change-count' }, shown.length === d.changes.length
      ? plural(shown.length, 'change')
      : num(shown.length) + ' of ' + plural(d.changes.length, 'change')));
    const open = new Set(state.open ? state.open.split(',') : []);
    const list = h('ul', { class: 'changes', id: 'changes' });
    for (const c of shown.slice((page - 1) * CHANGES_PER_PAGE, page * CHANGES_PER_PAGE)) list.append(changeEl(c, open));
    if (!shown.length) list.append(h('li', { class: 'empty' }, d.changes.length ? 'No change matches these filters.' : 'No changes.'));
    root.append(list);
    add(root, pager(page, pages, p => go({ p: String(p) })));
  }

  function h2(root, text) { root.append(h('h2', null, text)); }

  function pager(page, pages, to) {
    if (pages <= 1) return null;
    return h('div', { class: 'pager' },
      h('button', { type: 'button', disabled: page <= 1, onclick: () => to(page - 1) }, '← previous'),
      h('span', null, 'page ' + page + ' of ' + pages),
      h('button', { type: 'button', disabled: page >= pages, onclick: () => to(page + 1) }, 'next →'));
  }

  function changeEl(c, open) {
    const isOpen = open.has(c.fingerprint);
    const first = c.details[0];
    const summary = h('summary', null,
      h('span', { class: 'sum-sev' }, sevBadge(c.severity)),
      h('span', { class: 'sum-main' },
        h('span', { class: 'tag' }, c.signal_type), h('span', { class: 'tag ' + c.type }, c.type),
        h('span', { class: 'name' }, c.name),
        c.services.length ? h('span', { class: 'muted' }, ' · ' + c.services.join(', ')) : null),
      h('span', { class: 'sum-msg' }, first ? first.message : '', c.details.length > 1 ? ' (+' + (c.details.length - 1) + ' more)' : ''));
    const det = h('details', { open: isOpen }, summary);
    let filled = false;
    const fill = () => { if (!filled) { filled = true; det.append(changeBody(c)); } };
    if (isOpen) fill();
    det.addEventListener('toggle', () => {
      if (det.open) fill();
      const cur = new Set(state.open ? state.open.split(',') : []);
      if (det.open === cur.has(c.fingerprint)) return;
      if (det.open) cur.add(c.fingerprint); else cur.delete(c.fingerprint);
      state = Object.assign({}, state, { open: Array.from(cur).join(',') });
      history.replaceState(null, '', hashOf(state));
      renderedHash = location.hash || '#';
    });
    return h('li', { class: 'change ' + c.severity, id: 'change-' + c.fingerprint, 'data-name': c.name, 'data-signal': c.signal_type }, det);
  }

  function fixOf(c) {
    const fixes = [];
    for (const k of ['fix', 'suggested_fix', 'suggestion']) if (typeof c[k] === 'string') fixes.push(c[k]);
    for (const x of c.details) for (const k of ['fix', 'suggested_fix', 'suggestion']) if (typeof x[k] === 'string') fixes.push(x[k]);
    return Array.from(new Set(fixes));
  }

  // Paste-ready snippets the verdict rules attach to a critical label finding
  // (metadata.fixes: metric, key, scope, sdk_view, collector).
  function snippetsOf(c) {
    const f = c.metadata && c.metadata.fixes;
    return Array.isArray(f) ? f.filter(x => x && typeof x.collector === 'string') : [];
  }

  function snippet(title, text) {
    const pre = h('pre', { class: 'snippet' }, h('code', null, text));
    const status = h('span', { class: 'copied muted', role: 'status' });
    const btn = h('button', {
      type: 'button', class: 'copy', onclick: () => {
        // Selecting first shows what is copied and leaves Ctrl+C working where the clipboard is
        // not ours to write (some browsers refuse it to file:// pages).
        const sel = window.getSelection();
        const range = document.createRange();
        range.selectNodeContents(pre);
        sel.removeAllRanges();
        sel.addRange(range);
        status.textContent = 'selected: press Ctrl+C (⌘C) to copy';
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(() => { status.textContent = 'copied'; }, () => {});
        }
      }
    }, 'Copy');
    return h('div', { class: 'snippet-box' }, h('div', { class: 'snippet-head' }, h('span', null, title), btn, status), pre);
  }

  function fixBlock(f) {
    const box = h('section', { class: 'fix', 'data-fix-key': f.key },
      h('h3', null, 'Suggested fix: drop ', f.scope === 'resource' ? 'resource attribute ' : 'label ', code(f.key), ' from ', code(f.metric)));
    if (f.sdk_view) box.append(snippet('In the application: an OpenTelemetry SDK view (declarative configuration)', f.sdk_view));
    box.append(snippet(f.sdk_view ? 'Or in the pipeline: an OpenTelemetry Collector transform processor' : 'In the pipeline: an OpenTelemetry Collector transform processor (SDK views cannot drop resource attributes)', f.collector));
    return box;
  }

  function changeBody(c) {
    const body = h('div', { class: 'body' });
    const rows = c.details.map(x => h('tr', null,
      h('td', { 'data-label': 'field' }, code(x.field)), h('td', { class: 'num', 'data-label': 'before' }, value(x.from)),
      h('td', { class: 'num', 'data-label': 'after' }, value(x.to)),
      h('td', { class: 'num', 'data-label': 'change' }, x.change_pct == null ? '' : (x.change_pct > 0 ? '+' : '') + num(x.change_pct) + '%'),
      h('td', { 'data-label': 'severity' }, sevBadge(x.severity)), h('td', { 'data-label': 'rule' }, code(x.rule)),
      h('td', { 'data-label': 'why' }, x.message)));
    body.append(h('div', { class: 'table-wrap' }, h('table', { class: 'details stack' },
      h('thead', null, h('tr', null, ['field', 'before', 'after', 'change', 'severity', 'rule', 'why'].map(t => h('th', null, t)))),
      h('tbody', null, rows))));
    for (const f of fixOf(c)) body.append(h('div', { class: 'fix' }, h('strong', null, 'Suggested fix: '), f));
    for (const f of snippetsOf(c)) body.append(fixBlock(f));
    const meta = Object.keys(c.metadata || {}).filter(k => k !== 'fixes').map(k => [k, value(c.metadata[k])]);
    if (meta.length) body.append(dl('kv', meta));
    const links = h('div', { class: 'links' });
    for (const side of [SIDES.from, SIDES.to]) {
      const has = side.index[c.signal_type].has(c.name);
      links.append(has
        ? h('a', { href: itemHref(side.key, c.signal_type, c.name), class: 'session-link', 'data-side': side.key }, 'open in ' + side.label + ' session ', code(side.show.session.name))
        : h('span', { class: 'muted' }, 'not in ' + side.label + ' session'));
    }
    body.append(links);
    const sides = h('div', { class: 'sides' });
    for (const side of [SIDES.from, SIDES.to]) {
      const sec = h('section', { class: 'side', 'data-side': side.key }, h('h3', null, side.label + ': ', code(side.show.session.name)));
      const item = side.index[c.signal_type].get(c.name);
      if (!item) sec.append(h('p', { class: 'muted' }, 'absent'));
      else sec.append(itemDetail(c.signal_type, item, hitKeys(c)));
      sides.append(sec);
    }
    // Key tables with verdicts need the width: FROM above TO instead of beside it.
    if (sides.querySelector('td.verdict')) sides.classList.add('wide');
    body.append(sides);
    return body;
  }

  // The detail fields name keys as `<group>.<key>[.<field>]`; keys may contain dots.
  function hitKeys(c) {
    const fields = c.details.map(x => x.field);
    return (group, key) => fields.some(f => f === group + '.' + key || f.startsWith(group + '.' + key + '.'));
  }

  // ----- item details (shared by both views) -----

  // The verdict and its confidence; an unbounded key's reason too (the one a reader acts on),
  // every reason on hover.
  function verdictCell(ks) {
    const v = ks.evidence || ks.verdict;
    const td = h('td', { class: 'verdict', 'data-label': 'verdict', title: v && v.reason ? v.reason : null });
    if (v == null) return td;
    if (typeof v !== 'object') { td.append(String(v)); return td; }
    td.append(h('span', { class: 'v-' + (v.verdict || 'unknown') }, (v.verdict || '') + (typeof v.confidence === 'number' ? ' (' + Math.round(v.confidence * 100) + '%)' : '')));
    if (v.verdict === 'unbounded' && v.reason) td.append(h('div', { class: 'reason muted' }, v.reason));
    return td;
  }

  function keyTable(groups, hit) {
    const rows = [];
    let max = 0;
    let verdicts = false;
    for (const [, , m] of groups) for (const k of Object.keys(m || {})) { max = Math.max(max, m[k].estimated_cardinality || 0); if (m[k].verdict != null || m[k].evidence != null) verdicts = true; }
    for (const [label, group, m] of groups) {
      for (const k of Object.keys(m || {})) {
        const ks = m[k];
        rows.push(h('tr', { class: hit && hit(group, k) ? 'hit' : null, 'data-key': k },
          h('td', { 'data-label': 'scope' }, label), h('td', { class: 'name', 'data-label': 'key' }, code(k)),
          h('td', { class: 'num', 'data-label': 'count' }, num(ks.count)),
          h('td', { class: 'num', 'data-label': '%' }, ks.percentage == null ? '' : num(Math.round(ks.percentage * 10) / 10)),
          h('td', { class: 'num', 'data-label': 'cardinality' }, bar(ks.estimated_cardinality || 0, max, card(ks.estimated_cardinality, ks.approximate))),
          h('td', { class: 'samples', 'data-label': 'samples' }, (ks.value_samples || []).join(', ')),
          verdicts ? verdictCell(ks) : null));
      }
    }
    if (!rows.length) return h('p', { class: 'muted' }, 'no keys');
    const heads = ['scope', 'key', 'count', '%', 'cardinality', 'samples'].concat(verdicts ? ['verdict'] : []);
    return h('div', { class: 'table-wrap' }, h('table', { class: 'keys stack' },
      h('thead', null, h('tr', null, heads.map(t => h('th', { class: ['count', '%', 'cardinality'].includes(t) ? 'num' : null }, t)))),
      h('tbody', null, rows)));
  }

  function servicesText(m) { return Object.keys(m || {}).map(k => k + ' (' + num(m[k]) + ')').join(', '); }

  function itemDetail(kind, item, hit) {
    const wrap = h('div', { class: 'item-detail' });
    if (kind === 'metric') {
      const m = item;
      wrap.append(dl('kv', [['description', m.description], ['type', m.type], ['unit', m.unit],
        ['active series', card(m.active_series, m.series_approximate)], ['data points', num(m.data_point_count)],
        ['samples', num(m.sample_count)], ['temporality', m.aggregation_temporality],
        ['monotonic', m.is_monotonic == null ? '' : String(m.is_monotonic)],
        ['bucket bounds', m.explicit_bounds && m.explicit_bounds.length ? value(m.explicit_bounds) : ''],
        ['scales', m.scales && m.scales.length ? value(m.scales) : ''],
        ['services', servicesText(m.services)]].concat(m.completeness ? flatPairs(m.completeness, 'completeness', []) : [])));
      wrap.append(keyTable([['label', 'label_keys', m.label_keys], ['resource', 'resource_keys', m.resource_keys]], hit));
    } else if (kind === 'span') {
      for (const x of item) {
        wrap.append(h('h3', null, x.kind_name || ('kind ' + x.kind)));
        wrap.append(dl('kv', [['spans', num(x.sample_count)], ['status codes', (x.status_codes || []).join(', ')],
          ['events', (x.event_names || []).join(', ')], ['services', servicesText(x.services)]]));
        const groups = [['attribute', 'attribute_keys', x.attribute_keys], ['resource', 'resource_keys', x.resource_keys], ['link', 'link_attribute_keys', x.link_attribute_keys]];
        for (const ev of Object.keys(x.event_attribute_keys || {})) groups.push(['event ' + ev, 'event_attribute_keys.' + ev, x.event_attribute_keys[ev]]);
        wrap.append(keyTable(groups, hit));
      }
    } else if (kind === 'log') {
      const x = item;
      wrap.append(dl('kv', [['severity number', x.severity_number], ['records', num(x.sample_count)],
        ['events', (x.event_names || []).join(', ')], ['services', servicesText(x.services)]]));
      wrap.append(keyTable([['attribute', 'attribute_keys', x.attribute_keys], ['resource', 'resource_keys', x.resource_keys]], hit));
      const t = x.body_templates || [];
      if (t.length) {
        wrap.append(h('h3', null, 'Body templates'), h('div', { class: 'table-wrap' }, h('table', { class: 'templates stack' },
          h('thead', null, h('tr', null, h('th', null, 'template'), h('th', { class: 'num' }, 'records'), h('th', null, 'example'))),
          h('tbody', null, t.map(b => h('tr', null, h('td', { 'data-label': 'template' }, code(b.template)),
            h('td', { class: 'num', 'data-label': 'records' }, num(b.count)), h('td', { 'data-label': 'example' }, b.example || '')))))));
      }
    } else {
      const a = item;
      wrap.append(dl('kv', [['estimated cardinality', card(a.estimated_cardinality, a.approximate)], ['count', num(a.count)],
        ['scope', a.scope], ['signals', (a.signal_types || []).join(', ')], ['first seen', a.first_seen], ['last seen', a.last_seen],
        ['samples', (a.value_samples || []).join(', ')]]));
    }
    return wrap;
  }

  // ----- session view -----

  function topKey(m) {
    let best = null;
    for (const k of Object.keys(m || {})) {
      const c = m[k].estimated_cardinality || 0;
      if (!best || c > best.card) best = { key: k, card: c, approximate: !!m[k].approximate };
    }
    return best;
  }

  function svcList(m) { return Object.keys(m || {}).join(', '); }

  const topText = r => r.top ? r.top.key + ' ' + card(r.top.card, r.top.approximate) : '';
  const topCard = r => r.top ? r.top.card : 0;
  const COLUMNS = {
    metrics: [
      { id: 'name', label: 'metric', get: r => r.name, name: true },
      { id: 'type', label: 'type', get: r => r.type },
      { id: 'unit', label: 'unit', get: r => r.unit },
      { id: 'series', label: 'active series', num: true, bar: true, get: r => r.series, text: r => card(r.series, r.seriesApprox) },
      { id: 'points', label: 'data points', num: true, get: r => r.points },
      { id: 'keys', label: 'keys', num: true, get: r => r.keys },
      { id: 'top', label: 'top key', num: true, bar: true, get: topCard, text: topText },
      { id: 'services', label: 'services', get: r => r.services.join(', ') }
    ],
    spans: [
      { id: 'name', label: 'span', get: r => r.name, name: true },
      { id: 'kind', label: 'kind', get: r => r.kindName || String(r.kind) },
      { id: 'spans', label: 'spans', num: true, get: r => r.spans },
      { id: 'keys', label: 'keys', num: true, get: r => r.keys },
      { id: 'top', label: 'top attribute', num: true, bar: true, get: topCard, text: topText },
      { id: 'services', label: 'services', get: r => r.services.join(', ') }
    ],
    logs: [
      { id: 'name', label: 'severity', get: r => r.name, name: true },
      { id: 'number', label: 'number', num: true, get: r => r.number },
      { id: 'records', label: 'records', num: true, get: r => r.records },
      { id: 'keys', label: 'keys', num: true, get: r => r.keys },
      { id: 'top', label: 'top attribute', num: true, bar: true, get: topCard, text: topText },
      { id: 'templates', label: 'templates', num: true, get: r => r.templates },
      { id: 'services', label: 'services', get: r => r.services.join(', ') }
    ],
    attributes: [
      { id: 'name', label: 'key', get: r => r.name, name: true },
      { id: 'card', label: 'cardinality', num: true, bar: true, get: r => r.card, text: r => card(r.card, r.approx) },
      { id: 'count', label: 'count', num: true, get: r => r.count },
      { id: 'signals', label: 'signals', get: r => r.signals.join(', ') },
      { id: 'scope', label: 'scope', get: r => r.scope },
      { id: 'samples', label: 'samples', get: r => r.samples.join(', ') }
    ],
    services: [
      { id: 'name', label: 'service', get: r => r.name },
      { id: 'metrics', label: 'metrics', num: true, bar: true, get: r => r.metrics },
      { id: 'spans', label: 'span names', num: true, get: r => r.spans },
      { id: 'logs', label: 'log severities', num: true, get: r => r.logs },
      { id: 'points', label: 'data points, spans, records', num: true, get: r => r.points }
    ]
  };
  const DEFAULT_SORT = { metrics: 'series', spans: 'top', logs: 'number', attributes: 'card', services: 'name' };
  const KIND_OF_TAB = { metrics: 'metric', spans: 'span', logs: 'log', attributes: 'attribute' };

  function rowsOf(side, tab) { return side.rows[tab]; }

  function rowName(tab, r) { return r.name; }

  let sortCache = { key: null, rows: null };
  function sortedRows(side, tab, colId, dir, q) {
    const key = [side.key, tab, colId, dir, q].join('\u0000');
    if (sortCache.key === key) return sortCache.rows;
    const cols = COLUMNS[tab];
    const col = cols.find(c => c.id === colId) || cols[0];
    const ql = q.trim().toLowerCase();
    let rows = rowsOf(side, tab);
    if (ql) rows = rows.filter(r => String(rowName(tab, r) || '').toLowerCase().includes(ql));
    const sign = dir === 'asc' ? 1 : -1;
    const name = cols[0].get;
    rows = rows.map((r, i) => [col.get(r), i, r]);
    // Plain code-unit order, not localeCompare: several times faster over 50,000 rows, and
    // the order the text formats use.
    const cmp = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
    rows.sort((a, b) => {
      const c = col.num ? (a[0] || 0) - (b[0] || 0) : cmp(String(a[0]), String(b[0]));
      if (c !== 0) return sign * c;
      return cmp(String(name(a[2])), String(name(b[2]))) || a[1] - b[1];
    });
    rows = rows.map(x => x[2]);
    sortCache = { key, rows };
    return rows;
  }

  function sessionHeader(sv) {
    const s = sv.session;
    const c = s.capture;
    const known = ['name', 'description', 'created', 'capture', 'window_seconds', 'producer', 'merged_from', 'signals', 'services', 'metrics_count', 'spans_count', 'logs_count', 'attributes_count', 'path', 'size_bytes', 'notes'];
    const extra = flatPairs(Object.fromEntries(Object.entries(s).filter(([k]) => !known.includes(k))), '', []);
    const left = dl('kv', [['session', code(s.name)], ['description', s.description], ['created', s.created],
      ['captured', c ? [c.started, ' → ', c.ended, s.window_seconds != null ? ' (' + duration(s.window_seconds) + ')' : ''] : ''],
      ['sources', c ? (c.sources || []).join(', ') : ''],
      ['requests', c ? num(c.requests) + ' accepted, ' + num(c.rejected) + ' rejected, ' + num(c.dropped) + ' items dropped' : ''],
      ['producer', s.producer ? s.producer.name + ' ' + s.producer.version : ''], ['merged from', (s.merged_from || []).join(', ')]]);
    const right = dl('kv', [['signals', (s.signals || []).join(', ')], ['services', (s.services || []).join(', ')],
      ['counts', num(s.metrics_count) + ' metrics, ' + num(s.spans_count) + ' span names, ' + num(s.logs_count) + ' log severities, ' + num(s.attributes_count) + ' attributes'],
      ['file', s.path ? [code(s.path), s.size_bytes != null ? ' (' + bytes(s.size_bytes) + ')' : ''] : ''],
      ['service filter', sv.service || '']].concat(extra));
    const box = h('div', { class: 'header' }, h('section', null, left), h('section', null, right));
    return box;
  }

  function renderSession(root, side) {
    const sv = side.show;
    const s = sv.session;
    root.append(h('h1', null, DIFF ? side.label + ' session: ' : 'otelsnap session: ', code(s.name)));
    viewNav(root);
    root.append(sessionHeader(sv));
    if ((s.notes || []).length) root.append(h('ul', { class: 'notes' }, s.notes.map(n => h('li', null, n))));
    const it = side.items;
    if (it && it.partial) {
      root.append(h('p', { class: 'partial', id: 'partial-note' }, 'This report embeds the items the diff names: ' +
        plural(it.metrics.length, 'metric') + ' of ' + num(s.metrics_count) + ', ' + plural(it.spans.length, 'span') + ', ' +
        plural(it.logs.length, 'log severity', 'log severities') + ', ' + plural(it.attributes.length, 'attribute') +
        ' of ' + num(s.attributes_count) + '. Run otelsnap show --format html for the whole session.'));
    }
    const tab = COLUMNS[state.t] ? state.t : 'metrics';
    const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': 'Section', id: 'section-tabs' });
    for (const t of ['metrics', 'spans', 'logs', 'attributes', 'services']) {
      tabs.append(h('button', { type: 'button', 'data-tab': t, 'aria-pressed': t === tab ? 'true' : 'false', onclick: () => go({ t, sq: '', sort: '', dir: '', sp: '1', item: '' }) },
        t + ' (' + num(rowsOf(side, t).length) + ')'));
    }
    const controls = h('div', { class: 'controls' }, tabs, h('label', { class: 'ctl' }, 'Search', h('input', {
      type: 'search', id: 'session-search', value: state.sq, placeholder: 'name…', autocomplete: 'off',
      oninput: e => go({ sq: e.target.value, sp: '1', item: '' }, true)
    })));
    root.append(controls);

    const cols = COLUMNS[tab];
    const sortId = cols.some(c => c.id === state.sort) ? state.sort : DEFAULT_SORT[tab];
    const sortCol = cols.find(c => c.id === sortId);
    const dir = state.dir === 'asc' || state.dir === 'desc' ? state.dir : (sortCol.num ? 'desc' : 'asc');
    const rows = sortedRows(side, tab, sortId, dir, state.sq);
    const kind = KIND_OF_TAB[tab];
    let target = -1;
    if (state.item && kind && state.item.startsWith(kind + ':')) {
      const want = state.item.slice(kind.length + 1);
      target = rows.findIndex(r => rowName(tab, r) === want);
    }
    const pages = Math.max(1, Math.ceil(rows.length / ROWS_PER_PAGE));
    const page = target >= 0 ? Math.floor(target / ROWS_PER_PAGE) + 1 : Math.min(pages, Math.max(1, parseInt(state.sp, 10) || 1));
    const slice = rows.slice((page - 1) * ROWS_PER_PAGE, page * ROWS_PER_PAGE);
    const all = rowsOf(side, tab);
    root.append(h('p', { class: 'count', id: 'row-count' }, rows.length === all.length ? plural(rows.length, 'row') : num(rows.length) + ' of ' + plural(all.length, 'row')));
    if (state.item && target < 0) {
      root.append(h('p', { class: 'partial', id: 'item-missing' }, 'Not in this session: ', code(state.item)));
    }
    const maxes = cols.map(c => c.bar ? all.reduce((m, r) => Math.max(m, c.get(r) || 0), 0) : 0);
    const head = h('tr', null, cols.map(c => h('th', {
      class: c.num ? 'num' : null, 'data-col': c.id,
      'aria-sort': c.id === sortId ? (dir === 'asc' ? 'ascending' : 'descending') : null
    }, h('button', { type: 'button', onclick: () => go({ sort: c.id, dir: c.id === sortId ? (dir === 'asc' ? 'desc' : 'asc') : (c.num ? 'desc' : 'asc'), sp: '1', item: '' }) }, c.label))));
    const body = h('tbody');
    for (const r of slice) {
      const name = rowName(tab, r);
      const id = kind ? kind + ':' + name : '';
      const expanded = kind && state.item === id;
      const tr = h('tr', { class: [expanded ? 'expanded' : '', expanded && rowName(tab, rows[target]) === name ? 'target' : ''].join(' ').trim() || null, 'data-item': id || null });
      cols.forEach((c, i) => {
        if (c.name && kind) {
          tr.append(h('td', { class: 'name' }, h('button', {
            type: 'button', class: 'expander', 'aria-expanded': expanded ? 'true' : 'false',
            onclick: () => go({ item: expanded ? '' : id, sp: String(page) }, true)
          }, name)));
        } else if (c.bar) {
          tr.append(h('td', { class: 'num' }, bar(c.get(r) || 0, maxes[i], c.text ? c.text(r) : num(c.get(r)))));
        } else {
          const v = c.get(r);
          tr.append(h('td', { class: c.num ? 'num' : (c.id === 'name' ? 'name' : null) }, c.num ? num(v) : v));
        }
      });
      body.append(tr);
      if (expanded) {
        const item = side.detail(tab, r);
        if (item !== undefined) {
          body.append(h('tr', { class: 'detail-row' }, h('td', { colspan: cols.length }, itemDetail(kind, kind === 'span' ? [item] : item, null))));
        } else {
          body.append(h('tr', { class: 'detail-pending' }, h('td', { colspan: cols.length, class: 'muted' }, 'Unpacking this item…')));
          side.load(tab, r).then(() => { if (state.v === side.key && state.item === id) render(); }, fail);
        }
      }
    }
    if (!slice.length) body.append(h('tr', null, h('td', { colspan: cols.length, class: 'empty' }, 'Nothing to show.')));
    root.append(h('div', { class: 'table-wrap' }, h('table', { id: 'session-table', 'data-tab': tab }, h('thead', null, head), body)));
    add(root, pager(page, pages, p => go({ sp: String(p), item: '' })));
  }

  // Printing shows every change on the current page in full.
  let printed = [];
  window.addEventListener('beforeprint', () => {
    printed = Array.from(document.querySelectorAll('details:not([open])'));
    for (const d of printed) d.open = true;
  });
  window.addEventListener('afterprint', () => { for (const d of printed) d.open = false; printed = []; });

  // The item a link opens is unpacked before the first view, so it lands complete.
  function preload() {
    const side = SIDES[state.v];
    const kind = side && KIND_OF_TAB[state.t];
    if (!kind || !state.item.startsWith(kind + ':')) return Promise.resolve();
    const want = state.item.slice(kind.length + 1);
    const r = rowsOf(side, state.t).find(x => x.name === want);
    return r ? side.load(state.t, r) : Promise.resolve();
  }

  function fail(e) {
    document.getElementById('app').replaceChildren(h('p', { class: 'empty' }, 'This report could not be drawn: ' + e));
    console.error(e);
  }

  load().then(() => {
    state = readState();
    return preload();
  }).then(() => {
    render();
    document.body.setAttribute('data-ready', '1');
    performance.mark('otelsnap-interactive');
  }).catch(fail);
})();
