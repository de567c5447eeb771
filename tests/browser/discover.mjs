// Discover against `logpipe standalone`: a line appended to a tailed file is found by one of its words and
// highlighted; a line with <script> renders as text (no dialog); live tail shows a newly appended line
// without reloading; infinite scroll pages with search_after; dragging on the histogram zooms the range; a bad query and an empty result show clear messages; the host metrics page draws
// charts from system.metrics events; time to first results is measured.
// Env: CONSOLE_URL, LOG_FILE (tailed), optional BULK_DOCS (count already loaded, for the timing).
import {appendFileSync} from 'node:fs';
import {assert, env, main, newPage, shot} from './lib.mjs';

const url = env('CONSOLE_URL');
const logFile = env('LOG_FILE');

await main(async (browser, problems) => {
  const page = await newPage(browser, problems);
  const word = `quokka${Date.now()}`;
  appendFileSync(logFile, `GET /api/items 200 served ${word} in 12ms\n`);
  appendFileSync(logFile, `<script>alert(1)</script> xssprobe <img src=x onerror=alert(2)>\n`);

  // Search: the appended line is found by one of its words (retry while it is being indexed).
  await page.goto(`${url}/#/discover`);
  await page.waitForSelector('#query');
  let found = false;
  for (let i = 0; i < 40 && !found; i++) {
    await page.fill('#query', word);
    await page.click('#search');
    await page.waitForFunction(() => !document.querySelector('#status')?.textContent.includes('Searching'));
    found = await page.locator('#rows tr.hit').count() > 0;
    if (!found) await page.waitForTimeout(250);
  }
  assert(found, `a search for ${word} finds the appended line`);
  const firstMs = await page.evaluate(() => Number(document.querySelector('.discover').parentElement.dataset.firstResultsMs));
  const text = await page.locator('#rows tr.hit').first().innerText();
  assert(text.includes(`served ${word} in 12ms`), `row shows the message: ${text}`);
  assert(await page.locator('#rows tr.hit mark', {hasText: word}).count() === 1, 'the word is highlighted');
  await page.locator('#rows tr.hit').first().click();
  const detail = await page.locator('#rows tr.detail pre').innerText();
  assert(JSON.parse(detail).message.includes(word), 'the row expands to the JSON event');
  await shot(page, 'discover-search');

  // XSS: the <script> line is visible as text, no dialog, no injected elements.
  await page.fill('#query', 'xssprobe');
  await page.click('#search');
  await page.locator('#rows tr.hit', {hasText: '<script>alert(1)</script>'}).waitFor({timeout: 15000});
  assert(await page.locator('#rows script, #rows img').count() === 0, 'no element was created from the log line');
  await page.waitForTimeout(500);
  await shot(page, 'discover-xss');

  // Bad query and empty result messages.
  await page.fill('#query', 'message:(unbalanced');
  await page.click('#search');
  await page.locator('#status .msg-error', {hasText: 'Bad query'}).waitFor({timeout: 10000});
  await shot(page, 'discover-bad-query');
  await page.fill('#query', `nothingmatches${Date.now()}`);
  await page.click('#search');
  await page.locator('#status .msg-empty', {hasText: 'No results'}).waitFor({timeout: 10000});

  // Infinite scroll: 300 "boot" lines come 100 per page; scrolling to the end loads the next pages with
  // search_after, and no row appears twice.
  await page.fill('#query', 'boot');
  await page.click('#search');
  await page.waitForFunction(() => document.querySelectorAll('#rows tr.hit').length >= 100);
  for (const want of [200, 300]) {
    await page.locator('#more').scrollIntoViewIfNeeded();
    await page.waitForFunction(n => document.querySelectorAll('#rows tr.hit').length >= n, want, {timeout: 15000});
  }
  const ids = await page.$$eval('#rows tr.hit', rows => rows.map(r => r.dataset.id));
  assert(ids.length === 300, `infinite scroll shows all 300 boot lines, got ${ids.length}`);
  assert(new Set(ids).size === ids.length, 'no row twice across pages');
  await shot(page, 'discover-scrolled');

  // Drag on the histogram zooms: the range becomes absolute (from/to filled) and the search runs again.
  await page.evaluate(() => window.scrollTo(0, 0));
  const over = await page.locator('#histogram .u-over').boundingBox();
  assert(over, 'the histogram is drawn');
  await page.mouse.move(over.x + over.width * 0.5, over.y + over.height / 2);
  await page.mouse.down();
  await page.mouse.move(over.x + over.width - 1, over.y + over.height / 2, {steps: 5});
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelector('#range').value === 'abs' && document.querySelector('#from').value !== '');
  // The lines were written seconds ago, at the right end of the chart: the zoomed range still holds them.
  await page.waitForFunction(() => document.querySelectorAll('#rows tr.hit').length > 0, null, {timeout: 15000});
  await shot(page, 'discover-zoomed');
  await page.selectOption('#range', '15m');

  // Live tail: a line appended after the search appears without a reload.
  await page.fill('#query', '');
  await page.click('#search');
  await page.locator('#rows tr.hit').first().waitFor();
  await page.check('#tail');
  const tailWord = `wombat${Date.now()}`;
  await page.waitForTimeout(300);
  appendFileSync(logFile, `live line ${tailWord} arrived\n`);
  await page.locator('#rows tr.hit', {hasText: tailWord}).waitFor({timeout: 15000});
  const top = await page.locator('#rows tr.hit').first().innerText();
  assert(top.includes(tailWord), `the live line is at the top: ${top}`);
  await shot(page, 'discover-live-tail');
  await page.uncheck('#tail');

  // Field sidebar: clicking a host value filters on it.
  await page.locator('#fields button.link').first().click();
  await page.waitForFunction(() => document.querySelector('#query').value.includes('host.name:'));

  // Host metrics page (events loaded by the Rust side).
  await page.goto(`${url}/#/metrics`);
  await page.locator('#charts .chart canvas').first().waitFor({timeout: 15000});
  assert(await page.locator('#charts .chart').count() === 5, 'five metric charts');
  await page.waitForTimeout(300);
  await shot(page, 'metrics');

  console.log(`first_results_ms=${firstMs}`);
});
