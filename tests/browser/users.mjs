// Named users on the Collect config and History pages, against `logpipe console` + real etcd + an agent:
// - the login is rate-limited (429 with the wait, shown on the login page);
// - a viewer sees the entries without editing buttons, and the API refuses a viewer's save (403);
// - an editor's new entry is saved and applied by the agent, then the editor deletes the first entry;
//   History lists both changes with their user and a diff;
// - a restore against a revision that changed meanwhile is a conflict shown on the page; restoring the
//   revision of the first change then brings the deleted entry back (the Rust side checks the agent);
// - a form on another origin of the same host (same-site: the SameSite=Strict cookie goes along) posting a
//   restore is refused, and nothing changes.
// Env: CONSOLE_URL, HOST, FIRST_PATH, NEW_PATH, TOPIC.
import {assert, env, main, shot} from './lib.mjs';

const url = env('CONSOLE_URL');
const host = env('HOST');
const firstPath = env('FIRST_PATH');
const newPath = env('NEW_PATH');
const topic = env('TOPIC');

async function page(browser, problems) {
  const p = await browser.newPage();
  // Confirmations (delete, restore) are accepted; any other dialog is a problem (script from data).
  p.on('dialog', async d => {
    if (d.type() === 'confirm') await d.accept();
    else { problems.push(`dialog fired: ${d.type()} ${d.message()}`); await d.dismiss(); }
  });
  p.on('pageerror', e => problems.push(`page error: ${e.message}`));
  p.on('console', m => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console error: ${m.text()}`); });
  return p;
}

async function login(p, user, password) {
  await p.goto(`${url}/#/login`);
  await p.fill('#login-user', user);
  await p.fill('#login-password', password);
  await p.click('#login-submit');
}

// The key's revision as the API reports it (from the page, with its session).
async function revision(p) {
  return p.evaluate(async (h) => {
    const r = await (await fetch('/api/collect')).json();
    const row = r.hosts.find(x => x.host === h);
    return row ? row.revision : 0;
  }, host);
}

await main(async (browser, problems) => {
  const p = await page(browser, problems);

  // Every page needs a login; the login is rate-limited per user name.
  await p.goto(`${url}/#/collect`);
  await p.locator('#login-form').waitFor();
  for (let i = 0; i < 5; i++) {
    await login(p, 'mallory', `guess-${i}`);
    await p.locator('#login-status .msg-error', {hasText: 'Wrong user name or password'}).waitFor();
  }
  await login(p, 'mallory', 'guess-6');
  await p.locator('#login-status .msg-error', {hasText: 'too many login attempts for mallory: try again in'}).waitFor();
  await shot(p, 'users-rate-limited');

  // A viewer: no editing buttons, and the API refuses a save even with the session's CSRF token.
  await login(p, 'vic', 'vic-password');
  await p.locator('#who', {hasText: 'vic (viewer)'}).waitFor();
  await p.goto(`${url}/#/collect`);
  const card = p.locator(`.host[data-host="${host}"]`);
  await card.locator('.agent', {hasText: 'applied revision'}).waitFor({timeout: 15000});
  await p.locator('#collect-status .msg-info', {hasText: 'a viewer'}).waitFor();
  assert(await card.locator('button.add-entry').count() === 0, 'a viewer has no Add entry button');
  assert(await card.locator('td.actions button').count() === 0, 'a viewer has no Edit/Delete buttons');
  const viewerSave = await p.evaluate(async (h) => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch(`/api/collect/${h}`, {method: 'PUT',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf},
      body: JSON.stringify({entries: [], revision: 0})});
    return {status: r.status, body: await r.json()};
  }, host);
  assert(viewerSave.status === 403 && viewerSave.body.error.kind === 'forbidden',
    `a viewer's save is refused: ${JSON.stringify(viewerSave)}`);
  await shot(p, 'users-viewer');
  await p.click('#logout');
  await p.locator('#login-form').waitFor();

  // An editor adds an entry; the agent applies it.
  await login(p, 'ann', 'ann-password');
  await p.locator('#who', {hasText: 'ann (editor)'}).waitFor();
  await p.goto(`${url}/#/collect`);
  await card.locator('.agent', {hasText: 'applied revision'}).waitFor({timeout: 15000});
  await card.locator('button.add-entry').click();
  await card.locator('input[name=path]').fill(newPath);
  await card.locator('input[name=topic]').fill(topic);
  await card.locator('#save-entry').click();
  await p.locator('#collect-status .msg-ok', {hasText: 'Saved'}).waitFor();
  await card.locator('.applied').waitFor({timeout: 20000});
  const added = await revision(p);
  // Then deletes the first entry.
  await card.locator('tr', {hasText: firstPath}).locator('button.danger').click();
  await p.locator('#collect-status .msg-ok', {hasText: 'Saved'}).waitFor();
  await p.waitForFunction(async ([h, r]) => {
    const x = (await (await fetch('/api/collect')).json()).hosts.find(y => y.host === h);
    return x && x.revision > r;
  }, [host, added]);
  const deleted = await revision(p);

  // History: both changes, newest first, by ann, with a diff.
  await card.locator('a.history-link').click();
  const records = p.locator('.record');
  await records.first().waitFor();
  assert(await records.count() === 2, `two changes in History: ${await records.count()}`);
  const newest = records.nth(0);
  const oldest = records.nth(1);
  assert(await newest.getAttribute('data-revision') === String(deleted), 'newest is the delete');
  assert((await newest.innerText()).includes('ann'), 'the user is shown');
  const removed = await newest.locator('.diff-delete').allInnerTexts();
  assert(removed.some(l => l.includes(firstPath)), `the diff shows the removed path: ${removed}`);
  const inserted = await oldest.locator('.diff-insert').allInnerTexts();
  assert(inserted.some(l => l.includes(newPath)), `the diff shows the added path: ${inserted}`);
  await shot(p, 'users-history');

  // Someone changes the key meanwhile: the restore is a conflict, shown as such.
  await p.evaluate(async ([h, r]) => {
    const s = await (await fetch('/api/session')).json();
    const x = (await (await fetch('/api/collect')).json()).hosts.find(y => y.host === h);
    await fetch(`/api/collect/${h}`, {method: 'PUT',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf},
      body: JSON.stringify({entries: x.entries, revision: r})});
  }, [host, deleted]);
  await oldest.locator('button.restore-after').click();
  await p.locator('#history-status .msg-error', {hasText: 'Conflict'}).waitFor();
  await shot(p, 'users-conflict');
  // After the page reloaded the current revision, the restore goes through.
  await p.locator('.record').first().waitFor();
  await p.waitForFunction(() => document.querySelectorAll('.record').length === 3);
  await p.locator(`.record[data-revision="${added}"] button.restore-after`).click();
  await p.locator('#history-status .msg-ok', {hasText: 'Restored'}).waitFor();
  await p.waitForFunction(() => document.querySelectorAll('.record').length === 4);
  const restoredText = await p.locator('.record').first().innerText();
  assert(restoredText.includes('restore') && restoredText.includes(`revision ${added}`),
    `the restore is in History: ${restoredText}`);
  const restored = await revision(p);
  console.log(`RESTORED_REVISION=${restored}`);

  // A form on another origin of this host posts a restore (JSON smuggled in text/plain): refused.
  const port = Number(new URL(url).port);
  const evil = `http://127.0.0.1:${port === 1 ? 2 : port - 1}/`;
  await p.route(evil, route => route.fulfill({status: 200, contentType: 'text/html', body:
    `<form method="POST" enctype="text/plain" action="${url}/api/collect/${host}/restore">` +
    `<input name='{"revision":${deleted},"current_revision":${restored},"x":"' value='"}'></form>` +
    `<script>document.forms[0].submit()</script>`}));
  await p.goto(evil);
  await p.waitForURL(`${url}/api/collect/${host}/restore`);
  const answer = await p.locator('body').innerText();
  assert(answer.includes('cross_site'), `the cross-site post is refused: ${answer}`);
  await shot(p, 'users-cross-site');
  await p.goto(`${url}/#/collect`);
  assert(await revision(p) === restored, 'nothing changed');
});
