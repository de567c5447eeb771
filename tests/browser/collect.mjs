// Collect config against `logpipe console` + real etcd + an agent: a wrong password is refused on the
// login page (the token logs in as the user `token`, the default); an invalid entry is refused with the
// validation message; a valid entry added on the page is saved and the page shows when the agent reports
// the new revision applied. Fleet lists the agent.
// Env: CONSOLE_URL, TOKEN (or LOGIN_USER, an editor, and LOGIN_PASSWORD), HOST (the agent's host name),
// NEW_PATH (the file the new entry tails), TOPIC; SHOTS (the screenshots' name prefix, `collect`).
import {assert, env, main, newPage, shot} from './lib.mjs';

const url = env('CONSOLE_URL');
const user = process.env.LOGIN_USER || 'token';
const password = user === 'token' ? env('TOKEN') : env('LOGIN_PASSWORD');
const host = env('HOST');
const newPath = env('NEW_PATH');
const topic = env('TOPIC');
const shots = process.env.SHOTS || 'collect';

await main(async (browser, problems) => {
  const page = await newPage(browser, problems);
  // A wrong password is refused; the right one logs in.
  await page.goto(`${url}/#/login`);
  await page.fill('#login-user', user);
  await page.fill('#login-password', 'wrong-token-wrong-token');
  await page.click('#login-submit');
  await page.locator('#login-status .msg-error', {hasText: 'Wrong user name or password'}).waitFor();
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.locator('#who', {hasText: `${user} (editor)`}).waitFor();
  await page.goto(`${url}/#/collect`);
  const card = page.locator(`.host[data-host="${host}"]`);
  await card.waitFor({timeout: 15000});
  await card.locator('.agent', {hasText: 'applied revision'}).waitFor({timeout: 15000});
  await shot(page, `${shots}-before`);

  // Client + server validation: a bad topic and a relative path are refused before anything is written.
  await card.locator('button.add-entry').click();
  await card.locator('input[name=path]').fill('relative/path.log');
  await card.locator('input[name=topic]').fill('bad topic');
  await card.locator('#save-entry').click();
  await card.locator('.editor-errors .msg-error', {hasText: 'must be an absolute path'}).waitFor();
  await card.locator('input[name=path]').fill(newPath);
  await card.locator('#save-entry').click();
  await card.locator('.editor-errors .msg-error', {hasText: 'topic names use only'}).waitFor();
  await shot(page, `${shots}-validation`);

  // A valid entry saves; the page then shows the agent applying the new revision.
  await card.locator('input[name=topic]').fill(topic);
  await card.locator('#save-entry').click();
  await page.locator('#collect-status .msg-ok', {hasText: 'Saved'}).waitFor();
  await card.locator('.applied').waitFor({timeout: 20000});
  const row = await card.locator('table.entries tbody').innerText();
  assert(row.includes(newPath) && row.includes(topic), `the new entry is listed: ${row}`);
  await shot(page, `${shots}-applied`);

  await page.goto(`${url}/#/fleet`);
  await page.locator(`#fleet-rows tr.hit`, {hasText: host}).waitFor({timeout: 10000});
  const fleet = await page.locator('#fleet-rows').innerText();
  assert(fleet.includes('agent') && fleet.includes('ok ('), `fleet shows a healthy agent: ${fleet}`);
  await shot(page, `${shots}-fleet`);
});
