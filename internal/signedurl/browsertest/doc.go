// Package browsertest holds the end-to-end tests of the waiting page: a
// whole gateway instance runs a conversion that takes several seconds, and
// Debian's headless Chromium, driven by the Node script in interop/, opens
// its signed link as a person would: it must see the page, then get the
// file without doing anything, or read what went wrong. The package has no
// code of its own.
package browsertest
