// Drives the gateway's S3 endpoint with the official AWS SDK for
// JavaScript v3, as an application would: header-signed calls through
// S3Client, and presigned URLs from @aws-sdk/s3-request-presigner used
// with fetch(). Prints one JSON object of what it saw.
import {
  S3Client, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const { ENDPOINT, KEY_ID, SECRET, BUCKET } = process.env;
const client = new S3Client({
  endpoint: ENDPOINT,
  forcePathStyle: true,
  region: "us-east-1",
  credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
  maxAttempts: 1,
});

const out = {};
const body = "written by the JS SDK ".repeat(1000);

await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "js/put.txt", Body: body, ContentType: "text/plain" }));
const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "js/put.txt" }));
out.headLength = head.ContentLength;
const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "js/put.txt", Range: "bytes=0-20" }));
out.range = await got.Body.transformToString();
const list = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "js/" }));
out.listed = (list.Contents ?? []).map((o) => o.Key);

// Presigned PUT and GET, used with fetch() as a browser would.
const putURL = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: "js/presigned.bin" }), { expiresIn: 600 });
out.putURL = putURL;
const put = await fetch(putURL, { method: "PUT", body: "presigned upload from fetch()" });
out.presignedPut = put.status;
const getURL = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: "js/presigned.bin" }), { expiresIn: 600 });
out.getURL = getURL;
const get = await fetch(getURL);
out.presignedGet = { status: get.status, body: await get.text() };

await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "js/put.txt" }));
try {
  await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: "js/put.txt" }));
  out.afterDelete = "found";
} catch (e) {
  out.afterDelete = e.name;
}
try {
  await client.send(new GetObjectCommand({ Bucket: "other", Key: "a.mp4" }));
  out.otherBucket = "read";
} catch (e) {
  out.otherBucket = e.name;
}
console.log(JSON.stringify(out));
