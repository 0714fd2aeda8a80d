import { createHash, randomBytes } from 'node:crypto';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { BackupStorage } from '@athena/backups';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, requireService, serviceUrl, TestDatabase } from './support/services';
import { testBucket } from './support/s3-client';

const ADMIN_KEY = `backup-admin-${randomBytes(6).toString('hex')}`;
const describeBackups = requireService('postgres') && requireService('s3') ? describe : describe.skip;

/** Per table: row count and an md5 over every row's text form (order-independent). */
async function fingerprint(uri: string): Promise<Record<string, string>> {
  const c = new Client({ connectionString: uri });
  await c.connect();
  try {
    const out: Record<string, string> = {};
    const rels = (
      await c.query(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v') ORDER BY 1`)
    ).rows as Array<{ relname: string }>;
    for (const { relname } of rels) {
      const r = await c.query(
        `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM "${relname}" t`,
      );
      out[relname] = `${r.rows[0].n}:${r.rows[0].h}`;
    }
    out['seq:items_id_seq'] = String(
      (await c.query(`SELECT last_value FROM items_id_seq`).catch(() => ({ rows: [{ last_value: 'missing' }] })))
        .rows[0].last_value,
    );
    out['indexes'] =
      (
        await c.query(
          `SELECT string_agg(indexname, ',' ORDER BY indexname) AS i FROM pg_indexes WHERE schemaname = 'public'`,
        )
      ).rows[0].i ?? '';
    return out;
  } finally {
    await c.end();
  }
}

async function sql(uri: string, text: string, params: unknown[] = []): Promise<void> {
  const c = new Client({ connectionString: uri });
  await c.connect();
  try {
    await c.query(text, params);
  } finally {
    await c.end();
  }
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${explain ? `: ${await explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const SEED = `
  CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, note text, payload bytea, created_at timestamptz DEFAULT '2026-01-01T00:00:00Z');
  CREATE INDEX items_name_idx ON items (name);
  CREATE TABLE tags (item_id int REFERENCES items (id) ON DELETE CASCADE, tag text, PRIMARY KEY (item_id, tag));
  CREATE SEQUENCE ticket_seq START 100;
  CREATE TABLE tickets (id bigint PRIMARY KEY DEFAULT nextval('ticket_seq'), title text);
  INSERT INTO items (name, note, payload)
    SELECT 'item ' || g, CASE WHEN g % 3 = 0 THEN 'Grüße, 東京, emoji 🎉 ' || g ELSE NULL END, decode(md5(g::text), 'hex')
      FROM generate_series(1, 500) g;
  INSERT INTO tags SELECT id, t FROM items, unnest(ARRAY['a', 'ß']) t WHERE id % 7 = 0;
  INSERT INTO tickets (title) SELECT 'ticket ' || g FROM generate_series(1, 25) g;
  CREATE VIEW tagged_items AS SELECT i.id, i.name, t.tag FROM items i JOIN tags t ON t.item_id = i.id;
`;

describeBackups('backups on S3 (real app, real PostgreSQL, moto S3 server)', () => {
  let control: TestDatabase;
  let src: TestDatabase;
  let clone: TestDatabase;
  let locked: TestDatabase;
  let rls: TestDatabase;
  let app: TestApp;
  let bare: TestApp;
  let async202: TestApp;
  let s3: S3Client;
  const bucket = `athena-e2e-${randomBytes(4).toString('hex')}`;
  const prefix = 'drill';
  const role = `athena_dumper_${randomBytes(4).toString('hex')}`;
  const savedAdminKey = process.env.ATHENA_KEY_12;
  const admin = (path: string, init: { method?: string; json?: unknown; headers?: Record<string, string> } = {}) =>
    call(`${app.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'x-athena-admin-key': ADMIN_KEY, ...init.headers },
      json: init.json,
    });
  const enc = encodeURIComponent;

  async function objectsUnder(p: string): Promise<string[]> {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: p }));
    return (r.Contents ?? []).map((o) => o.Key!);
  }
  async function pendingUploads(p: string): Promise<number> {
    const r = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: p }));
    return (r.Uploads ?? []).length;
  }

  beforeAll(async () => {
    process.env.ATHENA_KEY_12 = ADMIN_KEY;
    const endpoint = serviceUrl('s3')!;
    s3 = await testBucket(endpoint, bucket);
    [control, src, clone, locked, rls] = await Promise.all([
      createTestDatabase('bk_control'),
      createTestDatabase('bk_src'),
      createTestDatabase('bk_clone'),
      createTestDatabase('bk_locked'),
      createTestDatabase('bk_rls'),
    ]);
    await sql(src.uri, SEED);
    await sql(clone.uri, `CREATE TABLE clone_only (id int); INSERT INTO clone_only VALUES (1)`);
    await sql(locked.uri, `CREATE TABLE busy (id int)`);
    // pg_dump as a role without BYPASSRLS fails on z_rls, after it streamed ~12 MB of a_big (several 5 MiB parts).
    await sql(
      rls.uri,
      `
      CREATE TABLE a_big (b bytea);
      INSERT INTO a_big SELECT (SELECT decode(string_agg(md5(random()::text || i || j), ''), 'hex') FROM generate_series(1, 65536) j) FROM generate_series(1, 12) i;
      CREATE TABLE z_rls (id int); ALTER TABLE z_rls ENABLE ROW LEVEL SECURITY; CREATE POLICY only_positive ON z_rls USING (id > 0);
      INSERT INTO z_rls VALUES (1);
      CREATE ROLE ${role} LOGIN PASSWORD 'dump-pw';
      GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role};`,
    );
    const rlsUri = new URL(rls.uri);
    rlsUri.username = role;
    rlsUri.password = 'dump-pw';
    const backup = {
      bucket,
      prefix,
      endpoint,
      region: 'us-east-1',
      force_path_style: true,
      access_key_id: 'test',
      secret_access_key: 'test',
      part_size_mb: 5,
    };
    app = await bootApp({
      gateway: { logging_pg_uri: control.uri },
      postgres_clients: {
        src: src.uri,
        clone: clone.uri,
        locked: locked.uri,
        rls: rlsUri.toString(),
        ro: { uri: clone.uri, read_only: true },
      },
      supabase_clients: { sb: { url: 'https://project.invalid', key: 'k' } },
      backup,
    });
    bare = await bootApp({ gateway: { logging_pg_uri: control.uri }, postgres_clients: { src: src.uri } });
    async202 = await bootApp({
      gateway: { logging_pg_uri: control.uri },
      postgres_clients: { clone: clone.uri },
      backup: { ...backup, wait_ms: 0 },
    });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await bare?.close();
    await async202?.close();
    if (savedAdminKey === undefined) delete process.env.ATHENA_KEY_12;
    else process.env.ATHENA_KEY_12 = savedAdminKey;
    if (rls) await sql(rls.uri, `DROP OWNED BY ${role}`).catch(() => undefined);
    await Promise.all([control, src, clone, locked, rls].map((d) => d?.drop()));
    if (control) await sql(serviceUrl('postgres')!, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    s3?.destroy();
  });

  it('without S3 config the app boots and the routes answer 503 naming the missing setting; admin key required', async () => {
    const r = await call(`${bare.url}/admin/backups`, {
      method: 'POST',
      headers: { 'x-athena-admin-key': ADMIN_KEY },
      json: { client_name: 'src' },
    });
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('backup_storage_not_configured');
    expect(r.body.error).toContain('ATHENA_BACKUP_S3_BUCKET');
    expect(r.headers.get('retry-after')).toBeTruthy();
    expect((await call(`${bare.url}/admin/backups`, { headers: { 'x-athena-admin-key': ADMIN_KEY } })).status).toBe(
      503,
    );
    expect((await call(`${app.url}/admin/backups`)).status).toBe(401);
  });

  it('restore drill: back up through HTTP, damage the database, restore, compare every table; clone into a second client', async () => {
    const before = await fingerprint(src.uri);
    const created = await admin('/admin/backups', { method: 'POST', json: { client_name: 'src', label: 'drill' } });
    expect(created.status).toBe(200);
    const { key, sha256, size_bytes } = created.body.data;
    expect(created.body.data).toMatchObject({ client_name: 'src', label: 'drill' });
    expect(key).toMatch(/^drill\/src\/\d{8}T\d{6}\.\d{3}Z-drill\.dump$/);
    expect(created.body.data.job).toMatchObject({
      status: 'completed',
      kind: 'backup',
      bytes_done: size_bytes,
      error: null,
    });
    expect(created.body.data.job.instance_id).toEqual(expect.any(String));

    // Object metadata: client, label, versions, size and SHA-256 of the bytes actually stored.
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.Metadata).toMatchObject({
      'client-name': 'src',
      label: 'drill',
      'size-bytes': String(size_bytes),
      sha256,
      format: 'pg_dump-custom',
    });
    expect(head.Metadata!['server-version']).toMatch(/^\d+/);
    expect(head.Metadata!['pg-dump-version']).toMatch(/^\d+/);
    expect(head.ContentLength).toBe(size_bytes);
    const dl = await fetch(`${app.url}/admin/backups/${enc(key)}/download`, {
      headers: { 'x-athena-admin-key': ADMIN_KEY },
    });
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-disposition')).toBe(`attachment; filename="${key.split('/').pop()}"`);
    const bytes = Buffer.from(await dl.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('PGDMP');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);

    const list = await admin('/admin/backups?client_name=src');
    expect(list.status).toBe(200);
    expect(list.body.data.backups).toEqual([
      expect.objectContaining({ key, client_name: 'src', label: 'drill', size_bytes, sha256 }),
    ]);
    const job = await admin(`/admin/backups/jobs/${created.body.data.job.job_id}`);
    expect(job.body.data.job).toMatchObject({ status: 'completed', sha256, size_bytes });
    const jobs = await admin('/admin/backups/jobs?client_name=src&kind=backup');
    expect(jobs.body.data.jobs.map((j: { job_id: number }) => j.job_id)).toContain(created.body.data.job.job_id);

    // Damage: change rows, drop a table (and the view on it), advance the sequence, add a stray table.
    await sql(
      src.uri,
      `UPDATE items SET name = 'changed' WHERE id < 50; DELETE FROM tickets WHERE id > 110;
      DROP VIEW tagged_items; DROP TABLE tags; SELECT setval('ticket_seq', 5000); ALTER TABLE items DROP COLUMN note;`,
    );
    expect(await fingerprint(src.uri)).not.toEqual(before);

    const restored = await admin(`/admin/backups/${enc(key)}/restore`, {
      method: 'POST',
      json: { client_name: 'src' },
    });
    expect(restored.status).toBe(200);
    expect(restored.body.data).toMatchObject({ key, client_name: 'src', source_client_name: 'src' });
    expect(restored.body.data.job).toMatchObject({ kind: 'restore', status: 'completed', bytes_done: size_bytes });
    expect(await fingerprint(src.uri)).toEqual(before);
    const seq = await new Promise<string>((resolve, reject) => {
      const c = new Client({ connectionString: src.uri });
      c.connect()
        .then(() => c.query(`SELECT nextval('ticket_seq')::text AS v`))
        .then((r) => resolve(r.rows[0].v), reject)
        .finally(() => void c.end());
    });
    expect(Number(seq)).toBeLessThan(5000);

    // Clone into another client: same tables and rows; its own unrelated table is kept.
    const cloned = await admin(`/admin/backups/${enc(key)}/restore`, {
      method: 'POST',
      json: { client_name: 'clone' },
    });
    expect(cloned.status).toBe(200);
    const cloneFp = await fingerprint(clone.uri);
    expect(cloneFp).toEqual({ ...before, clone_only: expect.any(String) });

    // Read-only target refused; other bad input.
    const ro = await admin(`/admin/backups/${enc(key)}/restore`, { method: 'POST', json: { client_name: 'ro' } });
    expect([ro.status, ro.body.code]).toEqual([409, 'client_read_only']);
  });

  it('bad input answers clear 4xx codes', async () => {
    const cases: Array<[string, { method?: string; json?: unknown }, number, string]> = [
      ['/admin/backups', { method: 'POST', json: { client_name: 'nope' } }, 404, 'client_not_found'],
      ['/admin/backups', { method: 'POST', json: { client_name: 'sb' } }, 422, 'unsupported_by_backend'],
      ['/admin/backups', { method: 'POST', json: {} }, 400, ''],
      ['/admin/backups', { method: 'POST', json: { client_name: 'src', label: '../x' } }, 400, ''],
      [
        `/admin/backups/${enc('other/src/x.dump')}/restore`,
        { method: 'POST', json: { client_name: 'src' } },
        400,
        'invalid_backup_key',
      ],
      [`/admin/backups/${enc('drill/../etc/x.dump')}`, { method: 'DELETE' }, 400, 'invalid_backup_key'],
      [`/admin/backups/${enc('drill/src/x\u0001.dump')}/download`, {}, 400, 'invalid_backup_key'],
      [
        `/admin/backups/${enc('drill/src/missing.dump')}/restore`,
        { method: 'POST', json: { client_name: 'src' } },
        404,
        'backup_not_found',
      ],
      [`/admin/backups/${enc('drill/src/missing.dump')}`, { method: 'DELETE' }, 404, 'backup_not_found'],
      [`/admin/backups/${enc('drill/src/missing.dump')}/download`, {}, 404, 'backup_not_found'],
      ['/admin/backups/jobs/abc', {}, 400, 'invalid_job_id'],
      ['/admin/backups/jobs/99999999', {}, 404, 'backup_job_not_found'],
      ['/admin/backups/jobs/99999999/cancel', { method: 'POST' }, 404, 'backup_job_not_found'],
      ['/admin/backups/jobs?status=done', {}, 400, ''],
    ];
    for (const [path, init, status, code] of cases) {
      const r = await admin(path, init);
      expect({ path, status: r.status, code: code ? r.body.code : '' }).toEqual({ path, status, code });
    }
  });

  it('a client without a URI → 409 backup_client_unconfigured; DELETE on the job list → 405', async () => {
    const envVar = `ATHENA_TEST_UNSET_${Date.now()}`;
    const created = await admin('/admin/clients', {
      method: 'POST',
      json: { client_name: 'no_uri', pg_uri_env_var: envVar },
    });
    expect(created.status).toBe(201);
    const r = await admin('/admin/backups', { method: 'POST', json: { client_name: 'no_uri' } });
    expect([r.status, r.body.code]).toEqual([409, 'backup_client_unconfigured']);
    const del = await admin('/admin/backups/jobs', { method: 'DELETE' });
    expect([del.status, del.body.code, del.headers.get('allow')]).toEqual([405, 'method_not_allowed', 'GET']);
  });

  it('a corrupt, truncated or tampered object fails the restore and leaves the target exactly as it was', async () => {
    const created = await admin('/admin/backups', { method: 'POST', json: { client_name: 'src', label: 'good' } });
    expect(created.status).toBe(200);
    const good = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: created.body.data.key }));
    const dump = Buffer.from(await good.Body!.transformToByteArray());
    const meta = good.Metadata!;
    await sql(
      src.uri,
      `UPDATE items SET name = 'after backup' WHERE id = 1; CREATE TABLE added_later (id int); INSERT INTO added_later VALUES (7);`,
    );
    const target = await fingerprint(src.uri);

    const tampered = Buffer.from(dump);
    tampered[Math.floor(tampered.length / 2)] ^= 0xff;
    const bad: Array<[string, Buffer, Record<string, string>, string[]]> = [
      ['drill/src/corrupt-random.dump', randomBytes(64 * 1024), {}, ['pg_restore_failed']],
      [
        'drill/src/corrupt-garbage-tail.dump',
        Buffer.concat([dump.subarray(0, 4096), randomBytes(200_000)]),
        {},
        ['pg_restore_failed'],
      ],
      ['drill/src/truncated.dump', dump.subarray(0, Math.floor(dump.length * 0.8)), meta, ['backup_integrity_failed']],
      ['drill/src/truncated-nometa.dump', dump.subarray(0, Math.floor(dump.length * 0.8)), {}, ['pg_restore_failed']],
      ['drill/src/tampered.dump', tampered, meta, ['backup_integrity_failed', 'pg_restore_failed']],
    ];
    for (const [key, body, metadata, codes] of bad) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: metadata }));
      const r = await admin(`/admin/backups/${enc(key)}/restore`, { method: 'POST', json: { client_name: 'src' } });
      expect({ key, status: r.status }).toEqual({ key, status: 500 });
      expect(codes).toContain(r.body.code);
      const job = await admin(`/admin/backups/jobs/${r.body.job_id}`);
      expect(job.body.data.job).toMatchObject({ kind: 'restore', status: 'failed', error_code: r.body.code });
      expect(await fingerprint(src.uri)).toEqual(target);
    }
  });

  it('a pg_dump failure mid-stream (after several uploaded parts) fails the job and leaves no object and no multipart upload', async () => {
    const r = await admin('/admin/backups', { method: 'POST', json: { client_name: 'rls', label: 'broken' } });
    expect(r.status).toBe(500);
    expect(r.body.code).toBe('pg_dump_failed');
    expect(r.body.error).toMatch(/row-level security/);
    const job = (await admin(`/admin/backups/jobs/${r.body.job_id}`)).body.data.job;
    expect(job).toMatchObject({ status: 'failed', error_code: 'pg_dump_failed' });
    expect(job.bytes_done).toBeGreaterThan(5 * 1024 * 1024); // parts were uploaded before the failure
    expect(await objectsUnder(`${prefix}/rls/`)).toEqual([]);
    expect(await pendingUploads(`${prefix}/rls/`)).toBe(0);
  });

  it('a running backup can be cancelled (pg_dump killed, upload aborted, no object); a second job on the client gets 409', async () => {
    const holder = new Client({ connectionString: locked.uri });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
      const pending = admin('/admin/backups', { method: 'POST', json: { client_name: 'locked' } });
      // pg_dump is running and waits for the lock.
      await waitFor(
        'pg_dump waiting on the lock',
        async () => {
          const j = await admin('/admin/backups/jobs?client_name=locked');
          if (j.body.data.jobs[0]?.status === 'failed')
            throw new Error(`job failed: ${JSON.stringify(j.body.data.jobs[0])}`);
          await holder.query('SELECT pg_stat_clear_snapshot()'); // the holder is in a transaction: drop its cached view
          const r = await holder.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'athena-backup' AND wait_event_type = 'Lock' AND datname = $1`,
            [locked.name],
          );
          return r.rows[0].n > 0;
        },
        30_000,
        async () =>
          JSON.stringify({
            jobs: (await admin('/admin/backups/jobs?client_name=locked')).body.data.jobs,
            activity: (
              await holder.query(
                `SELECT application_name, wait_event_type, wait_event, left(query, 80) AS q FROM pg_stat_activity WHERE datname = $1`,
                [locked.name],
              )
            ).rows,
          }),
      );
      const jobs = await admin('/admin/backups/jobs?client_name=locked&status=running');
      expect(jobs.body.data.jobs).toHaveLength(1);
      const id = jobs.body.data.jobs[0].job_id;
      const second = await admin('/admin/backups', { method: 'POST', json: { client_name: 'locked' } });
      expect([second.status, second.body.code, second.body.job_id]).toEqual([409, 'backup_job_in_progress', id]);

      const cancelled = await admin(`/admin/backups/jobs/${id}/cancel`, { method: 'POST' });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.data.job).toMatchObject({ job_id: id, status: 'cancelled', error_code: 'job_cancelled' });
      const first = await pending;
      expect([first.status, first.body.code]).toEqual([409, 'job_cancelled']);
      expect((await admin(`/admin/backups/jobs/${id}/cancel`, { method: 'POST' })).body.code).toBe(
        'job_not_cancellable',
      );
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    expect(await objectsUnder(`${prefix}/locked/`)).toEqual([]);
    expect(await pendingUploads(`${prefix}/locked/`)).toBe(0);
    // The client is free again.
    const again = await admin('/admin/backups', { method: 'POST', json: { client_name: 'locked', label: 'after' } });
    expect(again.status).toBe(200);
    const metrics = await call(`${app.url}/metrics`);
    expect(metrics.text).toMatch(/athena_backup_jobs_total\{kind="backup",outcome="cancelled"\} 1/);
    expect(metrics.text).toMatch(/athena_backup_jobs_total\{kind="restore",outcome="failed"\} \d+/);
    expect(metrics.text).toMatch(/athena_backup_bytes_total\{kind="backup"\} \d+/);
    expect(metrics.text).toMatch(/athena_backup_last_success_timestamp_seconds\{client="locked"\} \d+/);
  });

  it('a job that outlasts backup.wait_ms answers 202 with the job; progress is polled by id', async () => {
    const r = await call(`${async202.url}/admin/backups`, {
      method: 'POST',
      headers: { 'x-athena-admin-key': ADMIN_KEY },
      json: { client_name: 'clone', label: 'async' },
    });
    expect(r.status).toBe(202);
    expect(r.body.data).toMatchObject({
      job_id: expect.any(Number),
      client_name: 'clone',
      key: expect.stringMatching(/^drill\/clone\/.*-async\.dump$/),
    });
    expect(['pending', 'running', 'completed']).toContain(r.body.data.status);
    const done = await waitFor('the job to complete', async () => {
      const j = await call(`${async202.url}/admin/backups/jobs/${r.body.data.job_id}`, {
        headers: { 'x-athena-admin-key': ADMIN_KEY },
      });
      return j.body.data.job.status === 'completed' ? j.body.data.job : null;
    });
    expect(done).toMatchObject({ bytes_done: done.size_bytes, duration_ms: expect.any(Number), error: null });
    expect(done.bytes_per_second).toBeGreaterThan(0);
    expect(await objectsUnder(r.body.data.key)).toEqual([r.body.data.key]);
  });

  it('metadata of objects past the single-copy limit is rewritten with a multipart copy', async () => {
    const storage = new BackupStorage({
      bucket,
      prefix,
      region: 'us-east-1',
      endpoint: serviceUrl('s3')!,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxConcurrentJobs: 1,
      partSizeBytes: 5 * 1024 * 1024,
      queueSize: 1,
      waitMs: 0,
      pgBinDir: null,
    });
    try {
      const key = `${prefix}/big/object.dump`;
      const body = randomBytes(11 * 1024 * 1024 + 123);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: { label: 'before' } }));
      await storage.replaceMetadata(
        key,
        { label: 'after', sha256: 'x', 'size-bytes': String(body.length) },
        body.length,
        { singleCopyLimit: 1024, copyPartSize: 5 * 1024 * 1024 },
      );
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.Metadata).toEqual({ label: 'after', sha256: 'x', 'size-bytes': String(body.length) });
      const got = Buffer.from(
        await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray(),
      );
      expect(got.equals(body)).toBe(true);
      expect(await pendingUploads(`${prefix}/big/`)).toBe(0);
    } finally {
      storage.destroy();
    }
  });

  it('DELETE removes the object', async () => {
    const created = await admin('/admin/backups', {
      method: 'POST',
      json: { client_name: 'clone', label: 'to-delete' },
    });
    const key = created.body.data.key;
    const del = await admin(`/admin/backups/${enc(key)}`, { method: 'DELETE' });
    expect([del.status, del.body.data]).toEqual([200, { key }]);
    expect(await objectsUnder(key)).toEqual([]);
  });
});
