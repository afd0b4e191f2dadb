// Drives the official Cloudinary Node SDK against a running gateway with a
// large file: an upload in one request, then upload_large in chunks of the
// SDK's default size (20 MB), or destroys assets.
// CLOUDINARY_URL (with upload_prefix) must be in the environment before the
// SDK is required: it picks http or https once, at load time.
// Usage: node node_large.js upload <file>
//        node node_large.js destroy <public_id>...
// Prints one JSON object with every result; exits 1 on any SDK error.
'use strict';
const cloudinary = require('cloudinary').v2;

const [mode, ...args] = process.argv.slice(2);

function uploadLarge(path, options) {
  return new Promise((resolve, reject) => {
    cloudinary.uploader.upload_large(path, options, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function main() {
  const out = {};
  if (mode === 'upload') {
    const [path] = args;
    out.whole = await cloudinary.uploader.upload(path, { resource_type: 'raw', public_id: 'node/whole.bin' });
    out.large = await uploadLarge(path, { resource_type: 'raw', public_id: 'node/large.bin' });
  } else if (mode === 'destroy') {
    out.destroyed = {};
    for (const id of args) {
      out.destroyed[id] = await cloudinary.uploader.destroy(id, { resource_type: 'raw' });
    }
  } else {
    throw new Error('unknown mode ' + mode);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write('SDK error: ' + JSON.stringify(err) + ' ' + String(err && err.stack) + '\n');
  process.exit(1);
});
