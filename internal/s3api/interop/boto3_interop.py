"""Drives the gateway's S3 endpoint with boto3 as an application would:
header-signed calls through the client, and presigned URLs used with a
plain HTTP client. Prints one JSON object of what it saw."""
import io
import json
import os
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["ENDPOINT"],
    region_name="us-east-1",
    aws_access_key_id=os.environ["KEY_ID"],
    aws_secret_access_key=os.environ["SECRET"],
    config=Config(s3={"addressing_style": "path"}, signature_version="s3v4", retries={"max_attempts": 1}),
)
bucket = os.environ["BUCKET"]
out = {}
body = b"written by boto3 " * 1000

s3.put_object(Bucket=bucket, Key="py/put.txt", Body=body, ContentType="text/plain")
out["head_length"] = s3.head_object(Bucket=bucket, Key="py/put.txt")["ContentLength"]
out["range"] = s3.get_object(Bucket=bucket, Key="py/put.txt", Range="bytes=0-15")["Body"].read().decode()
listed = s3.list_objects_v2(Bucket=bucket, Prefix="py/", Delimiter="/")
out["listed"] = [o["Key"] for o in listed.get("Contents", [])]
# The high-level transfer (upload_fileobj), as most code uploads.
s3.upload_fileobj(io.BytesIO(b"through upload_fileobj"), bucket, "py/transfer.txt")
out["transfer"] = s3.get_object(Bucket=bucket, Key="py/transfer.txt")["Body"].read().decode()

put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "py/presigned.bin"}, ExpiresIn=600)
req = urllib.request.Request(put_url, data=b"presigned upload from urllib", method="PUT")
with urllib.request.urlopen(req) as r:
    out["presigned_put"] = r.status
get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "py/presigned.bin"}, ExpiresIn=600)
with urllib.request.urlopen(get_url) as r:
    out["presigned_get"] = r.read().decode()

s3.delete_object(Bucket=bucket, Key="py/put.txt")
try:
    s3.get_object(Bucket=bucket, Key="py/put.txt")
    out["after_delete"] = "found"
except ClientError as e:
    out["after_delete"] = e.response["Error"]["Code"]
try:
    s3.head_object(Bucket=bucket, Key="py/put.txt")
    out["head_after_delete"] = "found"
except ClientError as e:
    out["head_after_delete"] = e.response["Error"]["Code"]
print(json.dumps(out))
