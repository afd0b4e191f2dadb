// wait.mjs drives Debian's Chromium through playwright-core for the Go
// browser tests of the waiting page: it opens a signed conversion link as a
// person would, keeps a screenshot of the page it gets, and waits for what
// the page does by itself (a download, or an error in words). It prints
// one JSON line; the Go test, not this script, judges it.
//
// usage: node wait.mjs '<json spec>'
//   spec: { chromium, userDataDir, link, screenshot, downloadTo, expect: "download" | "error", timeoutMs }
import { chromium } from 'playwright-core';

const spec = JSON.parse(process.argv[2]);

const ctx = await chromium.launchPersistentContext(spec.userDataDir, {
  executablePath: spec.chromium,
  headless: true,
  acceptDownloads: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

const result = { console: [] };
try {
  const page = await ctx.newPage();
  page.on('console', (m) => result.console.push(m.text()));
  page.on('pageerror', (e) => result.console.push('pageerror: ' + e.message));
  const download = spec.expect === 'download'
    ? page.waitForEvent('download', { timeout: spec.timeoutMs })
    : null;
  const resp = await page.goto(spec.link);
  result.status = resp.status();
  result.contentType = resp.headers()['content-type'] || '';
  // The page as the person first sees it, once its script has run.
  await page.waitForFunction(() => document.getElementById('state')?.textContent.includes('%'), null, { timeout: 10000 })
    .catch(() => {});
  result.title = await page.title();
  result.heading = await page.textContent('h1');
  result.what = await page.textContent('#what');
  result.state = await page.textContent('#state');
  await page.screenshot({ path: spec.screenshot, fullPage: true });
  if (download) {
    const d = await download;
    result.downloadName = d.suggestedFilename();
    await d.saveAs(spec.downloadTo);
    result.ready = await page.isVisible('#ready');
  } else {
    await page.waitForSelector('#error:not([hidden])', { timeout: spec.timeoutMs });
    result.heading = await page.textContent('h1');
    result.what = await page.textContent('#what');
    result.message = await page.textContent('#msg');
    result.code = await page.textContent('#code');
    await page.screenshot({ path: spec.screenshot.replace(/\.png$/, '-error.png'), fullPage: true });
  }
} catch (err) {
  result.error = String(err && err.stack || err);
} finally {
  await ctx.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
