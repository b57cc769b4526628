// Drives headless Chromium over otelsnap's HTML reports and checks what a reader sees.
// Run by tests/report_browser.rs, which generates the reports with the real binary:
//
//   node run.mjs check CONFIG.json     # the assertions; exit 1 on the first failure
//   node run.mjs bench FILE.html...    # time to interactive, one JSON line per file
//
// CONFIG: {"diff": path, "session": path, "xss_diff": path, "xss_session": path,
//          "xss_names": [names that hold markup], "large_diff": path, "large_session": path,
//          "large_metrics": n,
//          "large_keys": {metric name: ["label:KEY", "resource:KEY", ...]},
//          "fix_diff": path (the CI fixture pair, whose critical label findings carry fixes), "screenshots": dir}. The browser is $OTELSNAP_CHROMIUM, else /usr/bin/chromium.
// Exit 3 means no browser could be started (the Rust test reports that as SKIPPED, or fails
// under OTELSNAP_REQUIRE_BROWSER=1).

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

let puppeteer;
try {
  puppeteer = (await import('puppeteer-core')).default;
} catch (e) {
  console.error(`NO BROWSER: puppeteer-core is not installed (run .ci/install-browser.sh): ${e.message}`);
  process.exit(3);
}

const executablePath = process.env.OTELSNAP_CHROMIUM || '/usr/bin/chromium';

async function launch() {
  if (!fs.existsSync(executablePath)) {
    console.error(`NO BROWSER: ${executablePath} does not exist (run .ci/install-browser.sh)`);
    process.exit(3);
  }
  try {
    return await puppeteer.launch({
      executablePath,
      headless: true,
      // Root in CI containers: Chromium's sandbox needs user namespaces it does not get there.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    });
  } catch (e) {
    console.error(`NO BROWSER: cannot start ${executablePath}: ${e.message}`);
    process.exit(3);
  }
}

// ---------- a tiny test runner ----------

let failures = 0;
let passes = 0;
function check(cond, what, detail) {
  if (cond) {
    passes++;
    console.log(`ok   ${what}`);
  } else {
    failures++;
    console.log(`FAIL ${what}${detail !== undefined ? `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`);
  }
}
function eq(actual, expected, what) {
  check(JSON.stringify(actual) === JSON.stringify(expected), what, `got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
}

/** A page that records every console error, page error, CSP violation and dialog. */
async function openPage(browser, file, { width = 1280, height = 900, hash = '' } = {}) {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => { problems.push(`dialog: ${d.type()} ${d.message()}`); await d.dismiss(); });
  page.on('requestfailed', (r) => { if (!r.url().startsWith('file:')) problems.push(`request: ${r.url()}`); });
  page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`network request: ${r.url()}`); });
  await page.evaluateOnNewDocument(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.setViewport({ width, height });
  await page.goto(pathToFileURL(file).href + hash, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 10000 });
  return { page, problems };
}

async function noProblems(p, what) {
  const csp = await p.page.evaluate(() => window.__csp);
  eq(p.problems.concat(csp.map((c) => `CSP violation: ${c}`)), [], `${what}: no console error, page error, dialog, CSP violation or network request`);
}

const texts = (page, sel) => page.$$eval(sel, (els) => els.map((e) => e.textContent));
const embedded = (page, id) => page.evaluate((i) => JSON.parse(document.getElementById(i).textContent), id);
// A session page's items, joined from its chunk blocks (plain JSON in small pages).
const sessionItems = (page) => page.evaluate(() => {
  const out = {};
  for (const k of ['metrics', 'spans', 'logs', 'attributes']) {
    out[k] = [];
    for (let n = 0; ; n++) {
      const el = document.getElementById(`otelsnap-items-${k}-${n}`);
      if (!el) break;
      if (el.type !== 'application/json') throw new Error(`${el.id} is packed`);
      out[k].push(...JSON.parse(el.textContent));
    }
  }
  return out;
});
const hashState = (page) => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.hash.slice(1))));

async function changeNames(page) {
  return page.$$eval('#changes > li.change', (els) => els.map((e) => `${e.dataset.signal}:${e.dataset.name}`));
}

async function clickChange(page, signal, name) {
  const handle = await page.evaluateHandle((s, n) => Array.from(document.querySelectorAll('#changes > li.change'))
    .find((e) => e.dataset.signal === s && e.dataset.name === n), signal, name);
  const el = handle.asElement();
  if (!el) return null;
  await el.$eval('summary', (s) => s.click());
  return el;
}

// ---------- the checks ----------

async function checkDiff(browser, cfg) {
  const p = await openPage(browser, cfg.diff);
  const { page } = p;
  const doc = await embedded(page, 'otelsnap-diff');
  const names = await changeNames(page);
  eq(names.length, Math.min(doc.changes.length, 50), 'diff renders one entry per change (first page)');
  eq(names, doc.changes.slice(0, 50).map((c) => `${c.signal_type}:${c.name}`), 'changes appear in the JSON ranking order');

  // Critical first and highlighted; the user_id change is critical, in that leading group.
  const sevs = await page.$$eval('#changes > li.change', (els) => els.map((e) => e.classList.contains('critical') ? 'critical' : e.classList.contains('warning') ? 'warning' : 'info'));
  const nCrit = doc.summary.critical;
  check(nCrit > 0 && sevs.slice(0, nCrit).every((s) => s === 'critical') && !sevs.slice(nCrit).includes('critical'), 'critical changes come first', sevs);
  const userIdx = doc.changes.findIndex((c) => c.details.some((d) => d.field.includes('user_id')));
  const user = doc.changes[userIdx];
  check(user && user.severity === 'critical' && userIdx < nCrit, 'the user_id change is critical and among the first changes', { userIdx, nCrit });
  const firstBg = await page.$eval('#changes > li.change > details > summary', (s) => getComputedStyle(s).backgroundColor);
  const lastBg = await page.$eval('#changes > li.change:last-child > details > summary', (s) => getComputedStyle(s).backgroundColor);
  check(firstBg !== lastBg, 'critical changes are highlighted', { firstBg, lastBg });
  const badge = await page.$eval('#changes > li.change .sev', (e) => e.textContent);
  eq(badge, 'critical', 'the first change is badged critical');

  // Searching for user_id puts that change first.
  await page.type('#search', 'user_id');
  const searched = await changeNames(page);
  eq(searched[0], `${user.signal_type}:${user.name}`, 'searching user_id lists the user_id change first');
  eq((await hashState(page)).q, 'user_id', 'the search is in the URL fragment');
  await page.click('#search', { count: 3 });
  await page.keyboard.press('Backspace');
  eq((await changeNames(page)).length, names.length, 'clearing the search shows every change again');

  // Expanding the user_id change shows both sides' key tables.
  const el = await clickChange(page, user.signal_type, user.name);
  check(el !== null, 'the user_id change can be expanded');
  const sides = await el.$$eval('.side', (ss) => ss.map((s) => ({
    side: s.dataset.side,
    keys: Array.from(s.querySelectorAll('table.keys tbody tr')).map((r) => r.dataset.key),
    user: Array.from(s.querySelectorAll('table.keys tbody tr.hit')).map((r) => Array.from(r.cells).map((c) => c.textContent)),
  })));
  eq(sides.map((s) => s.side), ['from', 'to'], 'expanded change has a FROM and a TO section');
  // The cardinality detail (the verdict detail's `to` is an object, not a count).
  const ud = user.details.find((d) => d.field.includes('user_id') && typeof (d.to ?? d.from) === 'number');
  check(sides.every((s) => s.keys.length > 0), 'both sides show a key table', sides);
  const shows = (cells, n) => cells[1] === 'user_id' && cells[4].replace(/[^0-9]/g, '') === String(n);
  if (ud.from == null) check(!sides[0].keys.includes('user_id'), 'FROM key table has no user_id (the label is new)', sides[0].keys);
  else check(sides[0].user.some((c) => shows(c, ud.from)), 'FROM key table shows the old user_id cardinality, highlighted', sides[0].user);
  if (ud.to == null) check(!sides[1].keys.includes('user_id'), 'TO key table has no user_id (the label was removed)', sides[1].keys);
  else check(sides[1].user.some((c) => shows(c, ud.to)), 'TO key table shows the new user_id cardinality, highlighted', sides[1].user);
  const detailRows = await el.$$eval('table.details tbody tr', (rs) => rs.length);
  eq(detailRows, user.details.length, 'every detail of the change is listed with before and after');
  eq((await hashState(page)).open, user.fingerprint, 'the open change is in the URL fragment');

  // Signal tabs filter the list.
  for (const sig of ['metric', 'span', 'log', 'attribute']) {
    await page.click(`#signal-tabs button[data-signal="${sig}"]`);
    const got = await changeNames(page);
    const want = doc.changes.filter((c) => c.signal_type === sig).slice(0, 50).map((c) => `${c.signal_type}:${c.name}`);
    eq(got, want, `the ${sig} tab lists exactly the ${sig} changes`);
  }
  await page.click('#signal-tabs button[data-signal=""]');

  // The service selector filters the list.
  const services = await page.$$eval('#service option', (os) => os.map((o) => o.value).filter(Boolean));
  check(services.length > 0, 'the service selector lists services', services);
  for (const svc of services) {
    await page.select('#service', svc);
    const got = await changeNames(page);
    const want = doc.changes.filter((c) => c.services.includes(svc)).slice(0, 50).map((c) => `${c.signal_type}:${c.name}`);
    eq(got, want, `service ${svc} lists exactly its changes`);
  }
  await page.select('#service', '');

  // Severity filter, through the summary cards and the selector.
  await page.click('.cards button[data-severity="warning"]');
  eq(await changeNames(page), doc.changes.filter((c) => c.severity === 'warning').slice(0, 50).map((c) => `${c.signal_type}:${c.name}`), 'the warning card lists exactly the warnings');
  await page.select('#severity', 'critical');
  eq(await changeNames(page), doc.changes.filter((c) => c.severity === 'critical').slice(0, 50).map((c) => `${c.signal_type}:${c.name}`), 'the severity selector lists exactly the critical changes');

  // The URL fragment round-trips: a fresh page at the same URL shows the same view.
  await page.select('#severity', '');
  await page.click('#signal-tabs button[data-signal="metric"]');
  await page.select('#service', services[0]);
  await clickChange(page, user.signal_type, user.name);
  const before = { names: await changeNames(page), open: await page.$$eval('#changes details[open]', (d) => d.length), sel: await page.$eval('#service', (s) => s.value), hash: await hashState(page) };
  const url = await page.evaluate(() => location.href);
  check(before.open >= 1, 'state before the round trip has an open change');
  const p2 = await openPage(browser, cfg.diff, { hash: new URL(url).hash });
  const after = { names: await changeNames(p2.page), open: await p2.page.$$eval('#changes details[open]', (d) => d.length), sel: await p2.page.$eval('#service', (s) => s.value), hash: await hashState(p2.page) };
  eq(after, before, 'a fresh page at the same URL fragment shows the same view');
  eq(await p2.page.$eval('#signal-tabs button[aria-pressed="true"]', (b) => b.dataset.signal), 'metric', 'the signal tab is restored from the fragment');
  await noProblems(p2, 'diff report reopened from its URL');
  await p2.page.close();

  // Back returns to the previous view.
  const hereHash = await hashState(page);
  await page.goBack();
  const backHash = await hashState(page);
  check(JSON.stringify(backHash) !== JSON.stringify(hereHash), 'history back returns to the previous view', { hereHash, backHash });

  // Session links land on the right item, on both sides.
  await page.goto(pathToFileURL(cfg.diff).href + '#', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]');
  for (const c of doc.changes.filter((x, i) => i === userIdx || x.signal_type === 'attribute' || x.type !== 'changed').slice(0, 6)) {
    await page.goto(pathToFileURL(cfg.diff).href + '#', { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="1"]');
    await page.evaluate(() => { location.hash = ''; });
    const ch = await clickChange(page, c.signal_type, c.name);
    if (!ch) { check(false, `change ${c.signal_type}:${c.name} is on the first page`); continue; }
    const links = await ch.$$eval('a.session-link', (as) => as.map((a) => ({ side: a.dataset.side, href: a.getAttribute('href') })));
    const expectSides = (c.type === 'added' ? ['to'] : c.type === 'removed' ? ['from'] : ['from', 'to']);
    eq(links.map((l) => l.side), expectSides, `${c.type} ${c.signal_type} ${c.name} links to ${expectSides.join(' and ')}`);
    for (const l of links) {
      await page.evaluate((href) => { location.hash = href; }, l.href);
      await page.waitForFunction(() => document.querySelector('#session-table'));
      const landed = await page.evaluate(() => {
        const t = document.querySelector('tr.target');
        const detail = t && document.querySelector('tr.detail-row');
        const r = t && t.getBoundingClientRect();
        return {
          item: t && t.dataset.item,
          tab: document.querySelector('#session-table').dataset.tab,
          detail: !!detail,
          visible: !!r && r.top >= 0 && r.bottom <= window.innerHeight,
          title: document.querySelector('h1').textContent,
        };
      });
      eq({ item: landed.item, detail: landed.detail, visible: landed.visible }, { item: `${c.signal_type}:${c.name}`, detail: true, visible: true }, `${l.side} link of ${c.signal_type} ${c.name} lands on it, expanded and in view`);
      check(landed.title.startsWith(l.side === 'from' ? 'FROM' : 'TO'), `${l.side} link opens the ${l.side.toUpperCase()} session view`, landed.title);
      if (c === user && c.signal_type === 'metric' && (l.side === 'to' ? ud.to : ud.from) != null) {
        const keys = await page.$$eval('tr.detail-row table.keys tbody tr', (rs) => rs.map((r) => r.dataset.key));
        check(keys.includes('user_id'), `${l.side} session view lists user_id among the item's keys`, keys);
      }
      await page.goBack();
      await page.waitForFunction(() => !document.querySelector('#session-table'));
    }
  }

  // Screenshots: the diff with the user_id change open, and the session view, at two widths.
  fs.mkdirSync(cfg.screenshots, { recursive: true });
  const openHash = `#open=${encodeURIComponent(user.fingerprint)}`;
  for (const width of [1280, 390]) {
    const s = await openPage(browser, cfg.diff, { width, hash: openHash });
    await s.page.screenshot({ path: path.join(cfg.screenshots, `diff-${width}.png`), fullPage: true });
    const overflow = await s.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `diff at ${width} px has no horizontal page scroll`, overflow);
    await noProblems(s, `diff at ${width} px`);
    await s.page.close();
  }
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await page.goto(pathToFileURL(cfg.diff).href + openHash, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]');
  const darkBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(darkBg !== 'rgb(255, 255, 255)', 'dark preference gives a dark page', darkBg);
  await page.screenshot({ path: path.join(cfg.screenshots, 'diff-1280-dark.png'), fullPage: true });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  await page.emulateMediaType('print');
  const controlsHidden = await page.$eval('.controls', (c) => getComputedStyle(c).display === 'none');
  check(controlsHidden, 'print hides the filter controls');
  await page.screenshot({ path: path.join(cfg.screenshots, 'diff-print.png'), fullPage: true });
  await page.emulateMediaType('screen');
  await noProblems(p, 'diff report');
  await page.close();
}

async function checkSession(browser, cfg) {
  const p = await openPage(browser, cfg.session);
  const { page } = p;
  const show = await embedded(page, 'otelsnap-show');
  const items = await sessionItems(page);
  const h1 = await page.$eval('h1', (e) => e.textContent);
  check(h1.includes(show.session.name), 'session view names the session', h1);
  const rows = await page.$$eval('#session-table tbody tr[data-item]', (rs) => rs.map((r) => r.dataset.item));
  eq(rows.length, Math.min(items.metrics.length, 100), 'session view lists the metrics');
  const bySeries = items.metrics.slice().sort((a, b) => b.active_series - a.active_series || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  eq(rows[0], `metric:${bySeries[0].name}`, 'metrics are sorted by active series, largest first');
  const bars = await page.$$eval('#session-table .bar span.b', (bs) => bs.map((b) => b.getBoundingClientRect().width));
  check(bars.length > 0 && bars.some((w) => w > 2), 'cardinality bars are drawn', bars.slice(0, 5));

  // Every column sorts, both ways.
  const headers = await page.$$eval('#session-table thead th', (ths) => ths.map((t) => t.dataset.col));
  for (const col of headers) {
    await page.click(`#session-table thead th[data-col="${col}"] button`);
    const s1 = await page.$eval(`#session-table thead th[data-col="${col}"]`, (t) => t.getAttribute('aria-sort'));
    const first = await page.$$eval('#session-table tbody tr[data-item]', (rs) => rs.map((r) => r.dataset.item));
    await page.click(`#session-table thead th[data-col="${col}"] button`);
    const s2 = await page.$eval(`#session-table thead th[data-col="${col}"]`, (t) => t.getAttribute('aria-sort'));
    const second = await page.$$eval('#session-table tbody tr[data-item]', (rs) => rs.map((r) => r.dataset.item));
    check(s1 && s2 && s1 !== s2 && first.length === second.length && new Set(first).size === new Set(second.concat(first)).size, `column ${col} sorts both ways`, { s1, s2 });
  }
  await page.click('#session-table thead th[data-col="name"] button');
  const sortedNames = await page.$$eval('#session-table tbody tr[data-item]', (rs) => rs.map((r) => r.dataset.item.slice(7)));
  const state = await hashState(page);
  const want = items.metrics.map((m) => m.name).sort();
  eq(sortedNames, state.dir === 'desc' ? want.slice().reverse() : want, 'sorting by name orders the rows by name');

  // Expanding an item shows all its keys.
  const m = bySeries[0];
  await page.goto(pathToFileURL(cfg.session).href + '#', { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="1"]');
  await page.click(`#session-table tbody tr[data-item="metric:${m.name}"] button.expander`);
  const keys = await page.$$eval('tr.detail-row table.keys tbody tr', (rs) => rs.map((r) => r.dataset.key));
  eq(keys.slice().sort(), Object.keys(m.label_keys).concat(Object.keys(m.resource_keys)).sort(), 'an expanded metric lists all its label and resource keys');

  for (const tab of ['spans', 'logs', 'attributes', 'services']) {
    await page.click(`#section-tabs button[data-tab="${tab}"]`);
    const n = await page.$$eval('#session-table tbody tr', (rs) => rs.filter((r) => !r.classList.contains('detail-row')).length);
    const expected = tab === 'services' ? show.session.services.length : items[tab].length;
    eq(n, Math.min(expected, 100), `the ${tab} tab lists every ${tab.replace(/s$/, '')}`);
  }
  await page.click('#section-tabs button[data-tab="metrics"]');
  await page.type('#session-search', m.name);
  const found = await page.$$eval('#session-table tbody tr[data-item]', (rs) => rs.map((r) => r.dataset.item));
  check(found.includes(`metric:${m.name}`) && found.length <= rows.length, 'the session search narrows the table', found);

  for (const width of [1280, 390]) {
    const s = await openPage(browser, cfg.session, { width, hash: `#item=${encodeURIComponent(`metric:${m.name}`)}` });
    await s.page.screenshot({ path: path.join(cfg.screenshots, `session-${width}.png`), fullPage: true });
    const overflow = await s.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `session at ${width} px has no horizontal page scroll`, overflow);
    await noProblems(s, `session at ${width} px`);
    await s.page.close();
  }
  await noProblems(p, 'session report');
  await page.close();
}

async function checkInjection(browser, file, names, what) {
  const p = await openPage(browser, file);
  const { page } = p;
  // Every view, every change open, every markup-named item expanded: nothing in the data may
  // become markup, and every name must be readable as text somewhere.
  const kind = await page.evaluate(() => document.body.dataset.report);
  const hashes = kind === 'diff'
    ? ['#', '#open=' + (await embedded(page, 'otelsnap-diff')).changes.map((c) => c.fingerprint).join(','), '#v=from', '#v=to']
    : ['#'];
  const seen = [];
  const inspect = async (where) => {
    const found = await page.evaluate(() => ({
      elements: document.querySelectorAll('img, iframe, object, embed, svg, #app script').length,
      scripts: document.querySelectorAll('script:not([type])').length,
      text: document.getElementById('app').textContent,
      flagged: window.__xss === true,
    }));
    eq([found.elements, found.scripts, found.flagged], [0, 1, false], `${what} ${where}: no element made from telemetry, no injected script ran`);
    seen.push(found.text);
  };
  for (const hash of hashes) {
    await page.goto(pathToFileURL(file).href + hash, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="1"]');
    await inspect(hash);
    if (hash.startsWith('#v=') || kind !== 'diff') {
      for (const tab of ['metrics', 'spans']) {
        await page.click(`#section-tabs button[data-tab="${tab}"]`);
        const items = await page.$$eval('#session-table tbody tr[data-item]', (rs) => rs.map((r) => r.dataset.item));
        for (const it of items.filter((i) => /[<>"]/.test(i))) {
          await page.evaluate((i) => {
            const q = new URLSearchParams(location.hash.slice(1));
            q.set('item', i);
            location.hash = q.toString();
          }, it);
          await page.waitForSelector('tr.detail-row');
          await inspect(`${hash} ${it}`);
        }
      }
    }
  }
  const all = seen.join('\n');
  for (const n of names) check(all.includes(n), `${what}: ${JSON.stringify(n)} is shown as text`);
  await noProblems(p, what);
  await page.close();
}

// The verdict fixes: each critical label finding's change carries paste-ready snippets.
async function checkFixes(browser, cfg) {
  const p = await openPage(browser, cfg.fix_diff);
  const { page } = p;
  const doc = await embedded(page, 'otelsnap-diff');
  const withFixes = doc.changes.filter((c) => c.metadata && Array.isArray(c.metadata.fixes) && c.metadata.fixes.length);
  check(withFixes.length > 0 && withFixes.every((c) => c.severity === 'critical'), 'the CI pair has critical changes with fixes', withFixes.map((c) => c.name));
  let first = null;
  for (const c of withFixes.slice(0, 5)) {
    const el = await clickChange(page, c.signal_type, c.name);
    if (!el) { check(false, `change ${c.name} with a fix is on the first page`); continue; }
    const shown = await el.$$eval('section.fix', (fs) => fs.map((f) => ({
      key: f.dataset.fixKey,
      heading: f.querySelector('h3').textContent,
      snippets: Array.from(f.querySelectorAll('pre.snippet')).map((p) => p.textContent),
      buttons: f.querySelectorAll('button.copy').length,
    })));
    const want = c.metadata.fixes.map((f) => ({ key: f.key, snippets: [f.sdk_view, f.collector].filter((x) => typeof x === 'string') }));
    eq(shown.map((f) => ({ key: f.key, snippets: f.snippets })), want, `${c.name}: every fix is shown, each snippet exactly as text`);
    check(shown.every((f, i) => f.buttons === want[i].snippets.length && f.heading.includes(want[i].key) && f.heading.includes(c.name)), `${c.name}: each snippet has a copy button and the fix names key and metric`, shown.map((f) => f.heading));
    // The metadata list does not repeat the snippets as raw JSON.
    const metaText = await el.$$eval('.body > dl.kv', (ds) => ds.map((d) => d.textContent).join(' '));
    check(!metaText.includes('collector'), `${c.name}: fixes are not dumped as JSON`, metaText.slice(0, 200));
    if (!first) first = { c, el };
  }
  if (first) {
    const f = first.c.metadata.fixes[0];
    const btn = await first.el.$('section.fix button.copy');
    await btn.click();
    const after = await page.evaluate(() => ({ sel: String(window.getSelection()), status: document.querySelector('section.fix .copied').textContent }));
    // A selection's text has no final newline; the snippet ends with one.
    eq(after.sel, (f.sdk_view || f.collector).replace(/\n$/, ''), 'the copy button selects exactly the snippet');
    check(/^(copied|selected: press Ctrl\+C)/.test(after.status), 'the copy button says what it did', after.status);
    const hash = `#open=${encodeURIComponent(first.c.fingerprint)}`;
    for (const width of [1280, 390]) {
      const s = await openPage(browser, cfg.fix_diff, { width, hash });
      await s.page.$eval('section.fix', (x) => x.scrollIntoView());
      await s.page.screenshot({ path: path.join(cfg.screenshots, `fix-${width}.png`), fullPage: true });
      const overflow = await s.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(overflow <= 0, `the fix at ${width} px has no horizontal page scroll`, overflow);
      await noProblems(s, `fix at ${width} px`);
      await s.page.close();
    }
  }
  await noProblems(p, 'diff with fixes');
  await page.close();
}

// Reports whose item blocks are gzipped (over 1 MiB of JSON): they must inflate and draw too.
async function checkLarge(browser, cfg) {
  const n = cfg.large_metrics;
  const p = await openPage(browser, cfg.large_session);
  const packed = await p.page.$$eval('script[type="application/gzip+base64"]', (s) => s.map((x) => x.id));
  // Chunks of 500 items: every full one is packed; a short last one may be plain.
  const chunks = await p.page.$$eval('script[id^="otelsnap-items-metrics-"]', (s) => s.map((x) => x.id));
  const full = Array.from({ length: Math.floor(n / 500) }, (_, i) => `otelsnap-items-metrics-${i}`);
  eq(chunks, Array.from({ length: Math.ceil(n / 500) }, (_, i) => `otelsnap-items-metrics-${i}`), `a large session page holds its ${n} metrics in chunks of 500`);
  check(packed.includes('otelsnap-rows') && full.every((id) => packed.includes(id)), 'its rows and full chunks are packed', packed);
  const tab = await p.page.$eval('#section-tabs button[data-tab="metrics"]', (b) => b.textContent);
  eq(tab, `metrics (${n.toLocaleString('en-US')})`, 'the packed items are all listed');
  // Items from the first, a middle and the last chunk, by name order, each expanded in turn
  // (a chunk is unpacked on demand): each shows exactly its own keys.
  const lastPage = Math.ceil(n / 100);
  for (const pg of [1, Math.ceil(lastPage / 2), lastPage]) {
    await p.page.goto(pathToFileURL(cfg.large_session).href + `#sort=name&dir=asc&sp=${pg}`, { waitUntil: 'load' });
    await p.page.waitForSelector('body[data-ready="1"]');
    const item = await p.page.$eval('#session-table tbody tr[data-item]:last-child', (r) => r.dataset.item);
    await p.page.click(`#session-table tbody tr[data-item="${item}"] button.expander`);
    await p.page.waitForSelector('tr.detail-row table.keys', { timeout: 10000 });
    const got = await p.page.$$eval('tr.detail-row table.keys tbody tr', (rs) => rs.map((r) => `${r.cells[0].textContent}:${r.dataset.key}`));
    const want = cfg.large_keys[item.slice('metric:'.length)];
    eq(got.slice().sort(), want.slice().sort(), `packed item ${item} (page ${pg}) expands to all its keys`);
  }
  // A link straight to an item opens with it unpacked and in view.
  const deep = Object.keys(cfg.large_keys).sort()[n - 1];
  await p.page.goto(pathToFileURL(cfg.large_session).href + `#item=${encodeURIComponent('metric:' + deep)}`, { waitUntil: 'load' });
  await p.page.waitForSelector('body[data-ready="1"]');
  const landed = await p.page.evaluate(() => ({ item: (document.querySelector('tr.target') || {}).dataset?.item, keys: document.querySelectorAll('tr.detail-row table.keys tbody tr').length }));
  eq(landed, { item: `metric:${deep}`, keys: cfg.large_keys[deep].length }, 'a link to a packed item lands on it, unpacked before the first view');
  await p.page.goto(pathToFileURL(cfg.large_session).href + '#', { waitUntil: 'load' });
  await p.page.waitForSelector('body[data-ready="1"]');
  await p.page.click('#session-table thead th[data-col="name"] button');
  const pager = await p.page.$eval('.pager span', (s) => s.textContent);
  eq(pager, `page 1 of ${Math.ceil(n / 100)}`, 'long tables are paged');
  await noProblems(p, 'large session');
  await p.page.close();
  const d = await openPage(browser, cfg.large_diff);
  const dpacked = await d.page.$$eval('script[type="application/gzip+base64"]', (s) => s.map((x) => x.id).sort());
  eq(dpacked, ['otelsnap-from-items', 'otelsnap-to-items'], 'a large diff page packs both sides\' items');
  const doc = await embedded(d.page, 'otelsnap-diff');
  const names = await changeNames(d.page);
  eq(names, doc.changes.slice(0, 50).map((c) => `${c.signal_type}:${c.name}`), 'the large diff lists its changes');
  const c = doc.changes.find((x) => x.type === 'changed' && x.signal_type === 'metric');
  const el = await clickChange(d.page, c.signal_type, c.name);
  const sides = await el.$$eval('.side table.keys', (t) => t.length);
  eq(sides, 2, 'a change in the large diff shows both key tables');
  await noProblems(d, 'large diff');
  await d.page.close();
}

async function bench(browser, files) {
  for (const file of files) {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const t0 = Date.now();
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 60000 });
      await page.waitForSelector('body[data-ready="1"]', { timeout: 60000 });
      const wall = Date.now() - t0;
      const tti = await page.evaluate(() => performance.getEntriesByName('otelsnap-interactive')[0].startTime);
      // On a session page: expand the first row's item (its chunk is unpacked on demand).
      let expand = null;
      const expander = await page.$('#session-table tbody tr[data-item] button.expander');
      if (expander) {
        const t2 = Date.now();
        await expander.click();
        await page.waitForSelector('tr.detail-row .item-detail', { timeout: 60000 });
        expand = Date.now() - t2;
      }
      // One interaction: switch a filter and wait for the redraw.
      const t1 = Date.now();
      const tab = (await page.$('#signal-tabs button[data-signal="metric"]')) || (await page.$('#section-tabs button[data-tab="attributes"]'));
      await tab.click();
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
      const interaction = Date.now() - t1;
      runs.push({ tti_ms: Math.round(tti), wall_ms: wall, interaction_ms: interaction, ...(expand == null ? {} : { expand_ms: expand }) });
      await page.close();
    }
    const sorted = runs.map((r) => r.tti_ms).sort((a, b) => a - b);
    console.log(JSON.stringify({ file: path.basename(file), bytes: fs.statSync(file).size, median_tti_ms: sorted[1], runs }));
  }
}

const [mode, ...rest] = process.argv.slice(2);
const browser = await launch();
try {
  if (mode === 'bench') {
    await bench(browser, rest);
  } else if (mode === 'check') {
    const cfg = JSON.parse(fs.readFileSync(rest[0], 'utf8'));
    await checkDiff(browser, cfg);
    await checkSession(browser, cfg);
    await checkInjection(browser, cfg.xss_diff, cfg.xss_names, 'diff with markup in names');
    await checkInjection(browser, cfg.xss_session, cfg.xss_names, 'session with markup in names');
    await checkLarge(browser, cfg);
    await checkFixes(browser, cfg);
    console.log(`${passes} passed, ${failures} failed`);
  } else {
    console.error('usage: node run.mjs check CONFIG.json | bench FILE.html...');
    process.exit(2);
  }
} catch (e) {
  failures++;
  console.log(`FAIL harness error: ${e.stack || e}`);
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
