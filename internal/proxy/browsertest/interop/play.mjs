// play.mjs drives Debian's Chromium through playwright-core for the Go
// browser tests: it opens a page the test serves, plays the media the test
// names in a <video> element, and prints one JSON line with what the
// player did. The Go test, not this script, judges the result.
//
// usage: node play.mjs '<json spec>'
//   spec: { chromium, userDataDir, page, timeoutMs,
//           scenario: "mp4-seek" | "hls-native" | "hls.js",
//           src, seekTo, hlsScript }
import { chromium } from 'playwright-core';

const spec = JSON.parse(process.argv[2]);

const ctx = await chromium.launchPersistentContext(spec.userDataDir, {
  executablePath: spec.chromium,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required',
  ],
});

let result;
try {
  const page = await ctx.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  await page.goto(spec.page);
  if (spec.scenario === 'hls.js') {
    await page.addScriptTag({ url: spec.hlsScript });
  }
  result = await page.evaluate(play, spec);
  result.console = consoleLines.slice(-20);
} catch (err) {
  result = { error: String(err && err.stack || err) };
} finally {
  await ctx.close();
}
process.stdout.write(JSON.stringify(result) + '\n');

// play runs in the page. It resolves with the player's state once the goal
// of the scenario is reached, or with an error when the deadline passes.
function play(spec) {
  return new Promise((resolve) => {
    const v = document.createElement('video');
    v.muted = true;
    v.playsInline = true;
    document.body.appendChild(v);
    const state = (extra) => Object.assign({
      currentTime: v.currentTime,
      duration: v.duration,
      readyState: v.readyState,
      mediaError: v.error ? `${v.error.code} ${v.error.message}` : '',
      canPlayH264: v.canPlayType('video/mp4; codecs="avc1.42E01E"'),
      canPlayHLS: v.canPlayType('application/vnd.apple.mpegurl'),
    }, extra);
    let done = false;
    const finish = (extra) => {
      if (!done) { done = true; resolve(state(extra)); }
    };
    setTimeout(() => finish({ error: 'deadline passed' }), spec.timeoutMs);
    v.addEventListener('error', () => finish({ error: 'media error' }));
    const start = () => v.play().catch((err) => finish({ error: `play(): ${err}` }));

    if (spec.scenario === 'mp4-seek') {
      let seeked = false;
      v.addEventListener('timeupdate', () => {
        if (!seeked && v.currentTime > 0.5) {
          seeked = true;
          v.currentTime = spec.seekTo;
        } else if (seeked && v.currentTime > spec.seekTo + 0.5) {
          finish({ seekedTo: spec.seekTo });
        }
      });
      v.src = spec.src;
      start();
    } else {
      // Play to the end: every segment of the stream must load.
      v.addEventListener('ended', () => finish({ ended: true }));
      if (spec.scenario === 'hls.js') {
        // eslint-disable-next-line no-undef
        const hls = new Hls();
        hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) finish({ error: `hls.js: ${d.type} ${d.details}` }); });
        hls.on(Hls.Events.MANIFEST_PARSED, start);
        hls.loadSource(spec.src);
        hls.attachMedia(v);
      } else {
        v.src = spec.src;
        start();
      }
    }
  });
}
