// Drives the official Cloudinary Node SDK against a running gateway.
// CLOUDINARY_URL (with upload_prefix) must be in the environment before the
// SDK is required: it picks http or https once, at load time.
// Usage: node node_interop.js <image> <large file> <chunk size>
// Prints one JSON object with every result; exits 1 on any SDK error.
'use strict';
const cloudinary = require('cloudinary').v2;

const [imagePath, largePath, chunkSize] = process.argv.slice(2);

function uploadLarge(path, options) {
  return new Promise((resolve, reject) => {
    cloudinary.uploader.upload_large(path, options, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

async function main() {
  const out = {};
  out.image = await cloudinary.uploader.upload(imagePath, { public_id: 'node/image', tags: ['a', 'b'] });
  out.data = await cloudinary.uploader.upload(
    'data:text/plain;base64,' + Buffer.from('hello from a data URI').toString('base64'),
    { resource_type: 'raw', public_id: 'node/data.txt' });
  out.large = await uploadLarge(largePath, { chunk_size: Number(chunkSize), public_id: 'node/large.bin' });
  out.auth = await cloudinary.uploader.upload(imagePath, { type: 'authenticated', public_id: 'node/secret' });
  out.authURL = cloudinary.url('node/secret', {
    type: 'authenticated', sign_url: true, format: out.auth.format, version: out.auth.version,
  });
  out.doomed = await cloudinary.uploader.upload(imagePath, { public_id: 'node/doomed' });
  out.destroy = await cloudinary.uploader.destroy('node/doomed');
  out.destroyAgain = await cloudinary.uploader.destroy('node/doomed');
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write('SDK error: ' + JSON.stringify(err) + ' ' + String(err && err.stack) + '\n');
  process.exit(1);
});
