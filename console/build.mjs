// Builds console/dist/ from src/ and the uPlot files in node_modules. No bundler: the app is plain ES
// modules; uPlot is its minified IIFE build (the global `uPlot`). dist/ is committed so that `cargo build`
// works without npm; run `npm ci && npm run build` after changing src/ or upgrading uPlot.
import {copyFileSync, mkdirSync, readdirSync, rmSync, statSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
rmSync(dist, {recursive: true, force: true});
mkdirSync(join(dist, 'assets'), {recursive: true});
for (const name of readdirSync(join(here, 'src'))) {
  const target = name === 'index.html' ? join(dist, name) : join(dist, 'assets', name);
  copyFileSync(join(here, 'src', name), target);
}
const uplot = join(here, 'node_modules', 'uplot', 'dist');
copyFileSync(join(uplot, 'uPlot.iife.min.js'), join(dist, 'assets', 'uPlot.iife.min.js'));
copyFileSync(join(uplot, 'uPlot.min.css'), join(dist, 'assets', 'uPlot.min.css'));
let total = 0;
for (const dir of [dist, join(dist, 'assets')]) {
  for (const name of readdirSync(dir)) {
    const s = statSync(join(dir, name));
    if (s.isFile()) total += s.size;
  }
}
console.log(`console/dist: ${total} bytes`);
