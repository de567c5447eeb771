// A named user on `logpipe console` whose search backend is secured (HTTPS with a private CA and a user):
// every page needs a login; the session cookie is HttpOnly and SameSite=Strict, and — when the console
// itself is served over HTTPS — Secure and named with the `__Host-` prefix (host-only, Path=/), plain
// `logpipe_session` without Secure otherwise; Discover then shows the documents of the backend — or, with
// REFUSED set, the error of a backend that refuses the console's credentials (not a "Bad query").
// Env: CONSOLE_URL, LOGIN_USER, LOGIN_PASSWORD, ROLE (the user's), INDEX (a pattern), MESSAGE (a message of
// a document in it) or REFUSED (words of the error); SERVER_CERT (the console's certificate, trusted by its
// public key) with https.
import {assert, env, main, newPage, shot, trustCertificate} from './lib.mjs';

const url = env('CONSOLE_URL');
const user = env('LOGIN_USER');
const password = env('LOGIN_PASSWORD');
const role = env('ROLE');
const index = env('INDEX');
const refused = process.env.REFUSED;
const message = refused ? null : env('MESSAGE');
const https = url.startsWith('https://');
const shots = https ? 'secured-https' : 'secured';

await main(async (browser, problems) => {
  const page = await newPage(browser, problems);
  await page.goto(`${url}/#/discover`);
  await page.locator('#login-form').waitFor();
  assert((await browser.cookies(url)).length === 0, 'no cookie before the login');
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.locator('#who', {hasText: `${user} (${role})`}).waitFor();

  const cookies = await browser.cookies(url);
  assert(cookies.length === 1, `one cookie: ${JSON.stringify(cookies)}`);
  const [session] = cookies;
  const expected = https ? '__Host-logpipe_session' : 'logpipe_session';
  assert(session.name === expected, `the session cookie is ${expected}: ${JSON.stringify(session)}`);
  assert(session.secure === https, `Secure exactly over HTTPS: ${JSON.stringify(session)}`);
  assert(session.httpOnly, `HttpOnly: ${JSON.stringify(session)}`);
  assert(session.sameSite === 'Strict', `SameSite=Strict: ${JSON.stringify(session)}`);
  assert(session.path === '/', `Path=/: ${JSON.stringify(session)}`);
  // Host-only (no Domain attribute): playwright reports the bare host, a Domain cookie has a leading dot.
  assert(session.domain === new URL(url).hostname, `host-only: ${JSON.stringify(session)}`);
  assert(!(await page.evaluate(() => document.cookie)).includes('logpipe_session'),
    'scripts cannot read the session cookie');
  // The session works: the API answers with the user.
  const who = await page.evaluate(async () => (await fetch('/api/session')).json());
  assert(who.user === user, `the session is ${user}'s: ${JSON.stringify(who)}`);

  // Discover over the secured backend.
  await page.goto(`${url}/#/discover?index=${encodeURIComponent(index)}`);
  if (refused) {
    await page.locator('#status .msg-error', {hasText: refused}).waitFor({timeout: 15000});
    const text = await page.locator('#status').innerText();
    assert(!text.includes('Bad query'), `not a bad query: ${text}`);
    await shot(page, `${shots}-refused`);
    return;
  }
  await page.locator('#rows tr.hit', {hasText: message}).first().waitFor({timeout: 15000});
  assert(await page.inputValue('#index') === index, `Discover shows ${index}: ${await page.inputValue('#index')}`);
  await shot(page, `${shots}-discover`);
}, https ? [trustCertificate(env('SERVER_CERT'))] : []);
