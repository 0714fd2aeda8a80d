import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import '@athena/backups'; // registers the backups error catalogue
import { errorCatalogue } from '@athena/common';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, requireService, serviceUrl, TestDatabase } from './support/services';
import { TcpProxy } from './support/tcp-proxy';
import { testBucket } from './support/s3-client';

/**
 * Storage faults of backup jobs (issue 13, "S3 down or credentials refused mid-upload"): S3 cut off in the middle
 * of a multipart upload (a TCP proxy between the gateway and moto that cuts after a byte count), and an S3
 * endpoint that refuses the credentials. The job fails with a stable code and no object or unfinished multipart
 * upload is left once S3 is back.
 */
const ADMIN_KEY = `backup-faults-${randomBytes(6).toString('hex')}`;
const describeFaults = requireService('postgres') && requireService('s3') ? describe : describe.skip;
const MIB = 1024 * 1024;

async function sql(uri: string, text: string): Promise<void> {
  const c = new Client({ connectionString: uri });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

/** The status the error catalogue gives `code`. */
function catalogueStatus(code: string): number | undefined {
  return errorCatalogue().find((e) => e.code === code)?.status;
}

/** What S3 answers for an unknown access key: 403 with an InvalidAccessKeyId error document. */
const INVALID_KEY_XML = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message><AWSAccessKeyId>AKIAREFUSED</AWSAccessKeyId><RequestId>4442587FB7D0A2F9</RequestId></Error>`;

describeFaults('backup storage faults (real app, real PostgreSQL, moto S3 behind a TCP proxy)', () => {
  let control: TestDatabase;
  let big: TestDatabase;
  let small: TestDatabase;
  let proxy: TcpProxy;
  let refuser: http.Server;
  const refusedRequests: string[] = [];
  let viaProxy: TestApp;
  let refused: TestApp;
  let s3: S3Client;
  const bucket = `athena-faults-${randomBytes(4).toString('hex')}`;
  const prefix = 'faults';
  const savedAdminKey = process.env.ATHENA_KEY_12;
  const admin = (app: TestApp, path: string, init: { method?: string; json?: unknown } = {}) =>
    call(`${app.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'x-athena-admin-key': ADMIN_KEY },
      json: init.json,
    });

  async function objectsUnder(p: string): Promise<string[]> {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: p }));
    return (r.Contents ?? []).map((o) => o.Key!);
  }
  async function unfinishedUploads(p: string): Promise<string[]> {
    const r = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: p }));
    return (r.Uploads ?? []).map((u) => u.Key!);
  }

  beforeAll(async () => {
    process.env.ATHENA_KEY_12 = ADMIN_KEY;
    const endpoint = serviceUrl('s3')!;
    s3 = await testBucket(endpoint, bucket);
    [control, big, small] = await Promise.all([
      createTestDatabase('bkf_control'),
      createTestDatabase('bkf_big'),
      createTestDatabase('bkf_small'),
    ]);
    // ~15 MiB of incompressible bytes (1 MiB of md5 output per row): pg_dump -Fc yields > 2 parts of 5 MiB.
    await sql(
      big.uri,
      `CREATE TABLE blobs (id int PRIMARY KEY, b bytea);
      INSERT INTO blobs SELECT i, (SELECT decode(string_agg(md5(random()::text || i || j), ''), 'hex') FROM generate_series(1, 65536) j) FROM generate_series(1, 15) i;`,
    );
    await sql(small.uri, `CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);`);

    proxy = await TcpProxy.start(new URL(endpoint), 80);
    refuser = http.createServer((req, res) => {
      refusedRequests.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => {
        res.writeHead(403, { 'content-type': 'application/xml', 'x-amz-request-id': '4442587FB7D0A2F9' });
        res.end(req.method === 'HEAD' ? undefined : INVALID_KEY_XML);
      });
    });
    await new Promise<void>((r) => refuser.listen(0, '127.0.0.1', () => r()));

    const backup = {
      bucket,
      prefix,
      region: 'us-east-1',
      force_path_style: true,
      access_key_id: 'test',
      secret_access_key: 'test',
      part_size_mb: 5,
    };
    viaProxy = await bootApp({
      gateway: { logging_pg_uri: control.uri },
      postgres_clients: { big: big.uri, small: small.uri },
      backup: { ...backup, endpoint: proxy.url },
    });
    refused = await bootApp({
      gateway: { logging_pg_uri: control.uri },
      postgres_clients: { small: small.uri },
      backup: {
        ...backup,
        endpoint: `http://127.0.0.1:${(refuser.address() as AddressInfo).port}`,
        access_key_id: 'AKIAREFUSED',
      },
    });
  }, 180_000);

  afterAll(async () => {
    await viaProxy?.close();
    await refused?.close();
    await proxy?.close();
    if (refuser) await new Promise<void>((r) => refuser.close(() => r()));
    if (savedAdminKey === undefined) delete process.env.ATHENA_KEY_12;
    else process.env.ATHENA_KEY_12 = savedAdminKey;
    await Promise.all([control, big, small].map((d) => d?.drop()));
    s3?.destroy();
  });

  it('S3 cut off mid-upload: the job fails backup_storage_unavailable, is counted, and once S3 is back no object and no multipart upload is left', async () => {
    const folder = `${prefix}/big/`;
    const cut = proxy.cutAfter(7 * MIB); // past the first 5 MiB part, before the dump (~15 MiB) is through
    const r = await admin(viaProxy, '/admin/backups', { method: 'POST', json: { client_name: 'big', label: 'cut' } });
    await cut;
    expect(r.status).toBe(503);
    expect(r.status).toBe(catalogueStatus('backup_storage_unavailable'));
    expect(r.body.code).toBe('backup_storage_unavailable');
    expect(r.body.message).toBe('Backup storage unavailable');
    expect(r.body.error).toContain(`uploading ${folder}`);
    expect(r.headers.get('retry-after')).toBeTruthy();
    const job = (await admin(viaProxy, `/admin/backups/jobs/${r.body.job_id}`)).body.data.job;
    expect(job).toMatchObject({
      kind: 'backup',
      client_name: 'big',
      status: 'failed',
      error_code: 'backup_storage_unavailable',
    });
    expect(job.bytes_done).toBeGreaterThan(5 * MIB); // the dump was streaming when S3 went away
    expect(job.key.startsWith(folder)).toBe(true);

    // While S3 is unreachable the gateway could not abort: moto (asked directly) still holds the upload.
    expect(await unfinishedUploads(folder)).toEqual([job.key]);
    expect(await objectsUnder(folder)).toEqual([]);
    let metrics = (await call(`${viaProxy.url}/metrics`)).text;
    expect(metrics).toMatch(/athena_backup_jobs_total\{kind="backup",outcome="failed"\} 1\b/);
    expect(metrics).toMatch(/athena_backup_pending_cleanups 1\b/);
    // Listing while S3 is still down answers the same code.
    const down = await admin(viaProxy, '/admin/backups?client_name=big');
    expect([down.status, down.body.code]).toEqual([503, 'backup_storage_unavailable']);

    // S3 back: the next call through the backup service aborts the leftover upload first.
    proxy.restore();
    const list = await admin(viaProxy, '/admin/backups?client_name=big');
    expect(list.status).toBe(200);
    expect(list.body.data.backups).toEqual([]);
    expect(await unfinishedUploads(`${prefix}/`)).toEqual([]);
    expect(await objectsUnder(`${prefix}/`)).toEqual([]);
    metrics = (await call(`${viaProxy.url}/metrics`)).text;
    expect(metrics).toMatch(/athena_backup_pending_cleanups 0\b/);

    // And backups work again through the same proxy.
    const again = await admin(viaProxy, '/admin/backups', {
      method: 'POST',
      json: { client_name: 'big', label: 'after' },
    });
    expect(again.status).toBe(200);
    expect(await objectsUnder(folder)).toEqual([again.body.data.key]);
    expect(again.body.data.size_bytes).toBeGreaterThan(10 * MIB);
    expect(await unfinishedUploads(`${prefix}/`)).toEqual([]);
  }, 120_000);

  it('credentials refused (403 InvalidAccessKeyId): the job fails backup_storage_refused naming the credential settings; listing maps it the same way', async () => {
    const r = await admin(refused, '/admin/backups', {
      method: 'POST',
      json: { client_name: 'small', label: 'refused' },
    });
    expect(r.status).toBe(catalogueStatus('backup_storage_refused'));
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('backup_storage_refused');
    expect(r.body.message).toBe('Backup storage refused the credentials');
    expect(r.body.error).toMatch(/InvalidAccessKeyId/);
    expect(r.body.error).toMatch(/backup\.access_key_id/);
    expect(r.body.error).toMatch(/AWS_ACCESS_KEY_ID/);
    expect(r.headers.get('retry-after')).toBe('30');
    expect(refusedRequests.length).toBeGreaterThan(0);
    const job = (await admin(refused, `/admin/backups/jobs/${r.body.job_id}`)).body.data.job;
    expect(job).toMatchObject({
      kind: 'backup',
      client_name: 'small',
      status: 'failed',
      error_code: 'backup_storage_refused',
    });
    expect(job.error).toMatch(/InvalidAccessKeyId/);

    for (const path of ['/admin/backups', '/admin/backups?client_name=small']) {
      const list = await admin(refused, path);
      expect({ path, status: list.status, code: list.body.code }).toEqual({
        path,
        status: 503,
        code: 'backup_storage_refused',
      });
      expect(list.body.error).toMatch(/InvalidAccessKeyId/);
      expect(list.headers.get('retry-after')).toBe('30');
    }
    const metrics = (await call(`${refused.url}/metrics`)).text;
    expect(metrics).toMatch(/athena_backup_jobs_total\{kind="backup",outcome="failed"\} 1\b/);
  }, 60_000);
});
