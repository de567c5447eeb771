// Shared helpers of the browser tests: headless Debian chromium driven by playwright-core (from
// console/node_modules), artifacts (screenshots) under tests/artifacts/, and a small assert.
import {createRequire} from 'node:module';
import {createHash, X509Certificate} from 'node:crypto';
import {existsSync, mkdirSync, mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

const require = createRequire(new URL('../../console/package.json', import.meta.url));
const {chromium} = require('playwright-core');

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const ARTIFACTS = process.env.ARTIFACTS || new URL('../artifacts/', import.meta.url).pathname;

export function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

// Chromium's flag trusting one server certificate (a test CA's, served over HTTPS) by its public key:
// the page is then a secure context, as it is behind a certificate the system trusts, and no other
// certificate error is ignored.
export function trustCertificate(pemFile) {
  const spki = new X509Certificate(readFileSync(pemFile)).publicKey.export({type: 'spki', format: 'der'});
  return `--ignore-certificate-errors-spki-list=${createHash('sha256').update(spki).digest('base64')}`;
}

export async function launch(extraArgs = []) {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: run .ci/setup`);
  mkdirSync(ARTIFACTS, {recursive: true});
  const profile = mkdtempSync(join(tmpdir(), 'logpipe-chromium-'));
  // A fresh profile directory per run (playwright passes it as --user-data-dir).
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: {width: 1400, height: 900},
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

// A page that fails the test on any console error, page error or dialog (alert() from a log line).
export async function newPage(browser, problems) {
  const page = await browser.newPage();
  page.on('dialog', async d => { problems.push(`dialog fired: ${d.type()} ${d.message()}`); await d.dismiss(); });
  page.on('pageerror', e => problems.push(`page error: ${e.message}`));
  // 4xx answers of the API (a bad query) are expected; the browser logs them as "Failed to load resource".
  page.on('console', m => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console error: ${m.text()}`); });
  return page;
}

export async function shot(page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({path, fullPage: false});
  console.log(`screenshot ${path}`);
}

export function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
}

export async function main(fn, extraArgs = []) {
  const problems = [];
  let browser;
  try {
    browser = await launch(extraArgs);
    await fn(browser, problems);
    if (problems.length) throw new Error(`browser problems:\n${problems.join('\n')}`);
    console.log('ok');
  } catch (e) {
    console.error(e && e.stack ? e.stack : String(e));
    process.exitCode = 1;
  } finally {
    if (browser) await browser.close();
  }
}
