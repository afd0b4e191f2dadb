// Package browsertest holds the end-to-end playback tests of bucket
// delivery: a whole gateway instance serves an authenticated bucket, and
// Debian's headless Chromium, driven by the Node script in interop/, plays
// an mp4 (with a seek, so through Range requests) and an HLS stream
// through signed URLs. The cross-origin tests serve their page from
// another origin than the gateway's, as a customer's player page is: hls.js
// and <video crossorigin> play under the bucket's CORS rule, a page of an
// origin the rule does not list is refused by the browser, and a signed
// conversion link fetched with fetch() follows its redirect to the output.
// A test without a browser follows an object's bytes through the whole
// gateway to check that they leave by sendfile. The package has no code of
// its own.
package browsertest
