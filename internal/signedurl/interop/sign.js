// Signs URLs with the official CloudConvert Node SDK, for the gateway's
// interop test: reads [{base, secret, job, cache_key}] as JSON on standard
// input and prints the signed URLs as a JSON array.
const CloudConvert = require('cloudconvert');

let input = '';
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const cc = new CloudConvert('not-used-for-signing');
  const urls = JSON.parse(input).map((r) =>
    cc.signedUrls.sign(r.base, r.secret, r.job, r.cache_key || undefined),
  );
  process.stdout.write(JSON.stringify(urls));
});
