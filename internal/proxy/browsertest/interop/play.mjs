// play.mjs drives Debian's Chromium through playwright-core for the Go
// browser tests: it opens a page the test serves, plays the media the test
// names in a <video> element (or fetches a URL), and prints one JSON line
// with what the page saw. The Go test, not this script, judges the result.
//
// usage: node play.mjs '<json spec>'
//   spec: { chromium, userDataDir, page, timeoutMs,
//           scenario: "mp4-seek" | "hls-native" | "hls.js" | "hls.js-seek" | "fetch",
//           src, seekTo, hlsScript,
//           crossOrigin?: "anonymous" | "use-credentials"  (the <video> attribute),
//           withCredentials?: bool  (hls.js requests with credentials),
//           credentials?: "omit" | "same-origin" | "include"  (fetch) }
// The page may be on another origin than src: the browser then applies
// CORS, and its refusals show in the console lines reported.
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
  if (spec.scenario.startsWith('hls.js')) {
    await page.addScriptTag({ url: spec.hlsScript });
  }
  result = await page.evaluate(spec.scenario === 'fetch' ? fetchIt : play, spec);
  result.pageOrigin = new URL(spec.page).origin;
  result.console = consoleLines.slice(-20);
} catch (err) {
  result = { error: String(err && err.stack || err) };
} finally {
  await ctx.close();
}
process.stdout.write(JSON.stringify(result) + '\n');

// fetchIt runs in the page: it fetches spec.src (following redirects) and
// resolves with the status and body, or with the error fetch() threw.
async function fetchIt(spec) {
  try {
    const res = await fetch(spec.src, { credentials: spec.credentials || 'same-origin' });
    return { status: res.status, body: (await res.text()).slice(0, 200), redirected: res.redirected };
  } catch (err) {
    return { error: `fetch: ${err}` };
  }
}

// play runs in the page. It resolves with the player's state once the goal
// of the scenario is reached, or with an error when the deadline passes.
function play(spec) {
  return new Promise((resolve) => {
    const v = document.createElement('video');
    v.muted = true;
    v.playsInline = true;
    if (spec.crossOrigin) {
      v.crossOrigin = spec.crossOrigin;
    }
    document.body.appendChild(v);
    // canvasReadable: a frame drawn into a canvas can be read back, which
    // a browser allows only for media loaded same-origin or granted by CORS.
    const canvasReadable = () => {
      try {
        const c = document.createElement('canvas');
        c.width = 16; c.height = 16;
        const g = c.getContext('2d');
        g.drawImage(v, 0, 0, 16, 16);
        g.getImageData(0, 0, 1, 1);
        return 'yes';
      } catch (err) {
        return `no: ${err.name}`;
      }
    };
    const state = (extra) => Object.assign({
      currentTime: v.currentTime,
      duration: v.duration,
      readyState: v.readyState,
      mediaError: v.error ? `${v.error.code} ${v.error.message}` : '',
      canPlayH264: v.canPlayType('video/mp4; codecs="avc1.42E01E"'),
      canPlayHLS: v.canPlayType('application/vnd.apple.mpegurl'),
      canvasReadable: v.readyState >= 2 ? canvasReadable() : '',
    }, extra);
    let done = false;
    const finish = (extra) => {
      if (!done) { done = true; resolve(state(extra)); }
    };
    setTimeout(() => finish({ error: 'deadline passed' }), spec.timeoutMs);
    v.addEventListener('error', () => finish({ error: 'media error' }));
    const start = () => v.play().catch((err) => finish({ error: `play(): ${err}` }));
    // seekOnce plays past 0.5 s, seeks to spec.seekTo and finishes once
    // playback is half a second past it.
    const seekOnce = () => {
      let seeked = false;
      v.addEventListener('timeupdate', () => {
        if (!seeked && v.currentTime > 0.5) {
          seeked = true;
          v.currentTime = spec.seekTo;
        } else if (seeked && v.currentTime > spec.seekTo + 0.5) {
          finish({ seekedTo: spec.seekTo });
        }
      });
    };

    if (spec.scenario === 'mp4-seek') {
      seekOnce();
      v.src = spec.src;
      start();
    } else if (spec.scenario.startsWith('hls.js')) {
      if (spec.scenario === 'hls.js-seek') {
        seekOnce();
      } else {
        // Play to the end: every segment of the stream must load.
        v.addEventListener('ended', () => finish({ ended: true }));
      }
      // eslint-disable-next-line no-undef
      const hls = new Hls(spec.withCredentials ? { xhrSetup: (xhr) => { xhr.withCredentials = true; } } : {});
      hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) finish({ error: `hls.js: ${d.type} ${d.details}` }); });
      hls.on(Hls.Events.MANIFEST_PARSED, start);
      hls.loadSource(spec.src);
      hls.attachMedia(v);
    } else {
      v.addEventListener('ended', () => finish({ ended: true }));
      v.src = spec.src;
      start();
    }
  });
}
