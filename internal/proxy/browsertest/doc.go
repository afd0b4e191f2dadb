// Package browsertest holds the end-to-end playback tests of bucket
// delivery: a whole gateway instance serves an authenticated bucket, and
// Debian's headless Chromium, driven by the Node script in interop/, plays
// an mp4 (with a seek, so through Range requests) and an HLS stream
// through signed URLs. A test without a browser follows an object's bytes
// through the whole gateway to check that they leave by sendfile. The
// package has no code of its own.
package browsertest
