import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * An S3 client on the test S3 server (moto accepts any credentials; the checksum settings are the ones
 * S3-compatible servers need, as in the gateway) with `bucket` created.
 */
export async function testBucket(endpoint: string, bucket: string): Promise<S3Client> {
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return s3;
}
