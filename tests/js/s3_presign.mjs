// Uses the AWS SDK for JavaScript v3 against Nimbus: creates a bucket, uploads an object through
// the SDK (which sends its default CRC32 checksum), and prints presigned GET and PUT URLs as JSON
// for the Python test to use with plain HTTP, as a browser would.
// Usage: node s3_presign.mjs <endpoint> <bucket>
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const [endpoint, bucket] = process.argv.slice(2);
const s3 = new S3Client({
  endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});

await s3.send(new CreateBucketCommand({ Bucket: bucket }));
const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "from-sdk.txt", Body: "written by sdk v3", ContentType: "text/plain" }));
const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "from-sdk.txt" }));
const body = await got.Body.transformToString();
const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "from-sdk.txt" }), { expiresIn: 300 });
const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: "browser.txt", ContentType: "text/plain" }), { expiresIn: 300 });
console.log(JSON.stringify({ etag: put.ETag, body, getUrl, putUrl }));
