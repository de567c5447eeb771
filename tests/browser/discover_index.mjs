// Discover's index pattern against `logpipe console` started without --index, over a store whose logs are
// in `app_log-YYYY.MM.dd` (newest) and `old_log-YYYY.MM.dd` (older): it opens on `app_log-*` with results
// (bug: it opened on `logpipe-*`, which does not exist, and showed "No results"), and a pattern the user
// picks is the one it opens on after a reload.
// Env: CONSOLE_URL.
import {assert, env, main, newPage, shot} from './lib.mjs';

const url = env('CONSOLE_URL');

await main(async (browser, problems) => {
  const page = await newPage(browser, problems);
  await page.goto(`${url}/#/discover`);
  await page.locator('#rows tr.hit').first().waitFor({timeout: 15000});
  assert(await page.inputValue('#index') === 'app_log-*', `opens on app_log-*, got ${await page.inputValue('#index')}`);
  const row = await page.locator('#rows tr.hit').first().innerText();
  assert(row.includes('newest app line'), `shows the app logs: ${row}`);
  await shot(page, 'discover-newest-family');

  await page.selectOption('#index', 'old_log-*');
  await page.locator('#rows tr.hit', {hasText: 'older line'}).first().waitFor({timeout: 15000});
  // A fresh visit without the pattern in the link: the choice is remembered.
  await page.goto('about:blank');
  await page.goto(`${url}/#/discover`);
  await page.locator('#rows tr.hit', {hasText: 'older line'}).first().waitFor({timeout: 15000});
  assert(await page.inputValue('#index') === 'old_log-*', 'the chosen pattern is remembered');
});
