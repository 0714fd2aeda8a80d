import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { BackupSchedule, BackupScheduler, scheduleSlot } from '@athena/backups';
import { bootApp, call, TestApp } from './support/app';
import { createTestDatabase, requireService, serviceUrl, TestDatabase } from './support/services';
import { testBucket } from './support/s3-client';

const ADMIN_KEY = `sched-admin-${randomBytes(6).toString('hex')}`;
const describeSchedules = requireService('postgres') && requireService('s3') ? describe : describe.skip;

async function sql(uri: string, text: string): Promise<void> {
  const c = new Client({ connectionString: uri });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

describeSchedules(
  'scheduled backups: one run per slot across instances, keep_last retention (real apps, PostgreSQL, moto)',
  () => {
    let control: TestDatabase;
    let src: TestDatabase;
    let other: TestDatabase;
    let a: TestApp;
    let b: TestApp;
    let s3: S3Client;
    const bucket = `athena-sched-${randomBytes(4).toString('hex')}`;
    const prefix = 'sched';
    const savedAdminKey = process.env.ATHENA_KEY_12;
    const admin = (app: TestApp, path: string, init: { method?: string; json?: unknown } = {}) =>
      call(`${app.url}${path}`, {
        method: init.method ?? 'GET',
        headers: { 'x-athena-admin-key': ADMIN_KEY },
        json: init.json,
      });
    const scheduler = (app: TestApp) => app.server.app.get(BackupScheduler);
    const nightly = (app: TestApp): BackupSchedule => scheduler(app).find('src', 'nightly')!;

    async function keys(p: string): Promise<string[]> {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: p }));
      return (r.Contents ?? []).map((o) => o.Key!).sort();
    }

    beforeAll(async () => {
      process.env.ATHENA_KEY_12 = ADMIN_KEY;
      const endpoint = serviceUrl('s3')!;
      s3 = await testBucket(endpoint, bucket);
      [control, src, other] = await Promise.all([
        createTestDatabase('bs_control'),
        createTestDatabase('bs_src'),
        createTestDatabase('bs_other'),
      ]);
      await sql(
        src.uri,
        `CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 200) g`,
      );
      await sql(other.uri, `CREATE TABLE o (id int)`);
      const config = {
        gateway: { logging_pg_uri: control.uri },
        postgres_clients: { src: src.uri, other: other.uri },
        backup: {
          bucket,
          prefix,
          endpoint,
          region: 'us-east-1',
          force_path_style: true,
          access_key_id: 'test',
          secret_access_key: 'test',
          // 1 January only: the cron never fires during the test; the test drives runSchedule itself.
          schedules: [
            { client_name: 'src', cron: '0 0 1 1 *', label: 'nightly', keep_last: 2 },
            { client_name: 'other', cron: '0 0 1 1 *' },
          ],
        },
      };
      // Two instances on one control plane and one bucket.
      a = await bootApp(config);
      b = await bootApp(config);
    }, 120_000);

    afterAll(async () => {
      await a?.close();
      await b?.close();
      if (savedAdminKey === undefined) delete process.env.ATHENA_KEY_12;
      else process.env.ATHENA_KEY_12 = savedAdminKey;
      await Promise.all([control, src, other].map((d) => d?.drop()));
      s3?.destroy();
    });

    it('registers a cron job per schedule and logs its next run', () => {
      expect(scheduler(a).schedules.map((s) => s.id)).toEqual(['src/nightly', 'other/scheduled']);
      expect(a.logs.text()).toContain('backup schedule src/nightly (0 0 1 1 * UTC) next at ');
      expect(scheduleSlot('0 3 * * *', new Date('2026-12-05T03:00:00.731Z')).toISOString()).toBe(
        '2026-12-05T03:00:00.000Z',
      );
      expect(scheduleSlot('*/5 * * * * *', new Date('2026-12-05T03:00:05.731Z')).toISOString()).toBe(
        '2026-12-05T03:00:05.000Z',
      );
    });

    it('the same slot fired on two instances at once runs exactly one backup job', async () => {
      const slot = new Date('2026-01-01T00:00:00Z');
      const before = (await admin(a, '/admin/backups/jobs?client_name=src&kind=backup')).body.data.jobs.length;
      const [ra, rb] = await Promise.all([
        scheduler(a).runSchedule(nightly(a), slot),
        scheduler(b).runSchedule(nightly(b), slot),
      ]);
      const results = [ra, rb];
      expect(results.filter((r) => r.ran)).toHaveLength(1);
      expect(results.find((r) => r.ran)).toMatchObject({
        outcome: 'completed',
        schedule_id: 'src/nightly',
        error: null,
        deleted: [],
      });
      expect(results.find((r) => !r.ran)).toMatchObject({ outcome: 'skipped', job_id: null });
      const jobs = (await admin(a, '/admin/backups/jobs?client_name=src&kind=backup')).body.data.jobs as Array<{
        job_id: number;
        label: string;
        status: string;
      }>;
      expect(jobs.length - before).toBe(1);
      expect(jobs[0]).toMatchObject({
        job_id: results.find((r) => r.ran)!.job_id,
        label: 'nightly',
        status: 'completed',
      });
      expect(await keys(`${prefix}/src/`)).toEqual([
        expect.stringMatching(/^sched\/src\/\d{8}T\d{6}\.\d{3}Z-nightly\.dump$/),
      ]);

      // Later ticks for the same slot (a late instance, a retry) are skipped too.
      expect(await scheduler(b).runSchedule(nightly(b), slot)).toMatchObject({ ran: false, outcome: 'skipped' });
      expect((await admin(a, '/admin/backups/jobs?client_name=src&kind=backup')).body.data.jobs.length - before).toBe(
        1,
      );

      const winner = ra.ran ? a : b;
      const loser = ra.ran ? b : a;
      expect(winner.logs.text()).toMatch(
        /scheduled backup src\/nightly at 2026-01-01T00:00:00.000Z: completed \(job \d+\)/,
      );
      expect(loser.logs.text()).toContain(
        'scheduled backup src/nightly at 2026-01-01T00:00:00.000Z skipped: another instance claimed the slot',
      );
      expect((await call(`${winner.url}/metrics`)).text).toContain(
        'athena_backup_scheduled_runs_total{schedule="src/nightly",outcome="completed"} 1',
      );
      expect((await call(`${loser.url}/metrics`)).text).toMatch(
        /athena_backup_scheduled_runs_total\{schedule="src\/nightly",outcome="skipped"\} [12]/,
      );
    });

    it('keep_last keeps the newest N objects of the schedule; manual backups and other clients are untouched', async () => {
      const manual = await admin(a, '/admin/backups', {
        method: 'POST',
        json: { client_name: 'src', label: 'manual' },
      });
      expect(manual.status).toBe(200);
      const otherRun = await scheduler(b).runSchedule(
        scheduler(b).find('other', 'scheduled')!,
        new Date('2026-01-01T00:00:00Z'),
      );
      expect(otherRun).toMatchObject({ ran: true, outcome: 'completed', deleted: [] });
      const otherKeys = await keys(`${prefix}/other/`);
      expect(otherKeys).toHaveLength(1);

      const runs = [];
      for (const [i, app] of [a, b, a].entries()) {
        runs.push(await scheduler(app).runSchedule(nightly(app), new Date(Date.UTC(2026, 0, 2 + i))));
      }
      expect(runs.map((r) => r.outcome)).toEqual(['completed', 'completed', 'completed']);
      // 1 from the first test + 3 now, keep_last 2: the second and the third run delete the oldest one each.
      expect(runs.map((r) => r.deleted.length)).toEqual([0, 1, 1]);
      const nightlyKeys = (await keys(`${prefix}/src/`)).filter((k) => k.endsWith('-nightly.dump'));
      expect(nightlyKeys).toHaveLength(2);
      const listed = (await admin(a, '/admin/backups?client_name=src')).body.data.backups as Array<{ key: string }>;
      const kept = await Promise.all(
        runs.slice(1).map(async (r) => (await admin(a, `/admin/backups/jobs/${r.job_id}`)).body.data.job.key as string),
      );
      expect(nightlyKeys).toEqual(kept.sort());
      expect(listed.map((o) => o.key)).toContain(manual.body.data.key);
      expect(await keys(`${prefix}/other/`)).toEqual(otherKeys);

      const logs = a.logs.text() + b.logs.text();
      for (const r of runs)
        for (const k of r.deleted) expect(logs).toContain(`retention deleted backup ${k} (keep_last 2)`);
      const metrics = (await call(`${a.url}/metrics`)).text + (await call(`${b.url}/metrics`)).text;
      expect(metrics).toMatch(/athena_backup_retention_deleted_total\{client="src"\} 1/);
    });

    it('a schedule whose client is gone is recorded as error, without retention', async () => {
      const gone = { ...nightly(a), id: 'gone/nightly', client_name: 'gone' };
      const r = await scheduler(a).runSchedule(gone, new Date('2026-01-05T00:00:00Z'));
      expect(r).toMatchObject({ ran: true, outcome: 'error', job_id: null, deleted: [] });
      expect(r.error).toContain('client_not_found');
      expect(a.logs.text()).toContain(
        'scheduled backup gone/nightly at 2026-01-05T00:00:00.000Z: error: client_not_found',
      );
    });

    it('refuses to boot with an invalid schedule, naming the key', async () => {
      await expect(
        bootApp({
          gateway: { logging_pg_uri: control.uri },
          backup: { bucket, schedules: [{ client_name: 'src', cron: 'every night' }] },
        }),
      ).rejects.toThrow(/backup\.schedules\[0\]\.cron: expected cron expression/);
    });
  },
);
