import { Readable } from 'node:stream';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type * as LibStorage from '@aws-sdk/lib-storage';
import { lazyModule } from '@athena/common';
import { AthenaError } from '@athena/common';
import type { BackupSettings } from './backup-settings';
import { BackupsErrors } from './errors';

/** The AWS SDK's S3 client and multipart uploader, required on first use (see lazyModule): only gateways with
 *  backup storage configured load them. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred require (boot memory)
const s3 = lazyModule(() => require('@aws-sdk/client-s3') as typeof S3Sdk);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred require (boot memory)
const libStorage = lazyModule(() => require('@aws-sdk/lib-storage') as typeof LibStorage);

/**
 * User metadata of a backup object. Names use "-" (not "_"): several S3-compatible servers drop header names
 * with underscores. S3 lower-cases the names; values are ASCII.
 */
export interface BackupObjectMeta {
  'client-name'?: string;
  label?: string;
  'server-version'?: string;
  'pg-dump-version'?: string;
  'created-at'?: string;
  'size-bytes'?: string;
  sha256?: string;
  format?: string;
}

export interface BackupObject {
  key: string;
  client_name: string | null;
  label: string | null;
  size_bytes: number;
  last_modified: Date | null;
  sha256: string | null;
  server_version: string | null;
  pg_dump_version: string | null;
}

const MAX_LIST = 1000;
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const HEAD_CONCURRENCY = 8;

function s3Name(e: unknown): string {
  return (e as { name?: string })?.name ?? '';
}

function isNotFound(e: unknown): boolean {
  const status = (e as S3ServiceException)?.$metadata?.httpStatusCode;
  return status === 404 || s3Name(e) === 'NoSuchKey' || s3Name(e) === 'NotFound';
}

/** S3 failures as Athena errors: 404 for a missing object, 503 for everything the operator must fix or wait for. */
export function storageError(e: unknown, what: string): AthenaError {
  if (e instanceof AthenaError) return e;
  if (isNotFound(e) && s3Name(e) !== 'NoSuchBucket')
    return BackupsErrors.backupNotFound('Backup not found', `No backup object ${what}`);
  const name = s3Name(e);
  const msg = (e as Error)?.message ?? String(e);
  if (name === 'NoSuchBucket')
    return BackupsErrors.backupStorageUnavailable(
      'Backup bucket does not exist',
      `The bucket named in backup.bucket does not exist (${msg})`,
    );
  if (
    [
      'AccessDenied',
      'InvalidAccessKeyId',
      'SignatureDoesNotMatch',
      'ExpiredToken',
      'CredentialsProviderError',
    ].includes(name)
  ) {
    return BackupsErrors.backupStorageRefused(
      'Backup storage refused the credentials',
      `S3 answered ${name} while ${what}: ${msg} (check backup.access_key_id / backup.secret_access_key, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and the key's permissions on the bucket)`,
    );
  }
  return BackupsErrors.backupStorageUnavailable(
    'Backup storage unavailable',
    `S3 failed while ${what}: ${name ? `${name}: ` : ''}${msg}`,
    undefined,
    { 'Retry-After': '10' },
  );
}

/** The one place that talks to S3 (path-style and checksum settings for S3-compatible servers). */
export class BackupStorage {
  readonly client: S3Client;
  /** Keys of failed uploads whose cleanup (abort + delete) did not get through yet: retried by `retryDiscards`. */
  private readonly undiscarded = new Set<string>();

  constructor(readonly settings: BackupSettings) {
    this.client = new (s3().S3Client)({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }

  get bucket(): string {
    return this.settings.bucket;
  }

  /**
   * A multipart upload of `body` (parts of `partSizeBytes`, `queueSize` in flight: memory stays bounded).
   * The object appears only when the upload completes; on any failure the multipart upload is aborted.
   */
  upload(key: string, body: Readable, metadata: BackupObjectMeta): LibStorage.Upload {
    return new (libStorage().Upload)({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/octet-stream',
        Metadata: metadata as Record<string, string>,
      },
      partSize: this.settings.partSizeBytes,
      queueSize: this.settings.queueSize,
      leavePartsOnError: false,
    });
  }

  /**
   * Rewrites the object's metadata in place: CopyObject onto itself with MetadataDirective REPLACE, or — above
   * the 5 GiB CopyObject limit (`singleCopyLimit`) — a multipart copy (UploadPartCopy ranges) with the new metadata.
   */
  async replaceMetadata(
    key: string,
    metadata: BackupObjectMeta,
    size: number,
    opts: { singleCopyLimit?: number; copyPartSize?: number } = {},
  ): Promise<void> {
    const source = `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
    const common = {
      Bucket: this.bucket,
      Key: key,
      ContentType: 'application/octet-stream',
      Metadata: metadata as Record<string, string>,
    };
    if (size <= (opts.singleCopyLimit ?? 5 * GIB)) {
      await this.client.send(
        new (s3().CopyObjectCommand)({ ...common, CopySource: source, MetadataDirective: 'REPLACE' }),
      );
      return;
    }
    const partSize = Math.max(opts.copyPartSize ?? 512 * MIB, Math.ceil(size / 10_000));
    const { UploadId } = await this.client.send(new (s3().CreateMultipartUploadCommand)(common));
    try {
      const parts: Array<{ PartNumber: number; ETag: string }> = [];
      for (let start = 0, n = 1; start < size; start += partSize, n++) {
        const end = Math.min(start + partSize, size) - 1;
        const r = await this.client.send(
          new (s3().UploadPartCopyCommand)({
            Bucket: this.bucket,
            Key: key,
            UploadId,
            PartNumber: n,
            CopySource: source,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ PartNumber: n, ETag: r.CopyPartResult!.ETag! });
      }
      await this.client.send(
        new (s3().CompleteMultipartUploadCommand)({
          Bucket: this.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (e) {
      await this.client
        .send(new (s3().AbortMultipartUploadCommand)({ Bucket: this.bucket, Key: key, UploadId }))
        .catch(() => undefined);
      throw e;
    }
  }

  async head(key: string): Promise<{ size: number; meta: BackupObjectMeta; lastModified: Date | null } | null> {
    try {
      const h = await this.client.send(new (s3().HeadObjectCommand)({ Bucket: this.bucket, Key: key }));
      return {
        size: h.ContentLength ?? 0,
        meta: (h.Metadata ?? {}) as BackupObjectMeta,
        lastModified: h.LastModified ?? null,
      };
    } catch (e) {
      if (isNotFound(e) && s3Name(e) !== 'NoSuchBucket') return null;
      throw storageError(e, `reading ${key}`);
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<{ body: Readable; size: number; meta: BackupObjectMeta }> {
    try {
      const o = await this.client.send(new (s3().GetObjectCommand)({ Bucket: this.bucket, Key: key }), {
        abortSignal: signal,
      });
      return { body: o.Body as Readable, size: o.ContentLength ?? 0, meta: (o.Metadata ?? {}) as BackupObjectMeta };
    } catch (e) {
      throw storageError(e, `reading ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new (s3().DeleteObjectCommand)({ Bucket: this.bucket, Key: key }));
    } catch (e) {
      throw storageError(e, `deleting ${key}`);
    }
  }

  /** Objects under `prefix/` (newest first, at most 1000), with their metadata (one HEAD each, 8 at a time). */
  async list(prefix: string): Promise<BackupObject[]> {
    const found: Array<{ key: string; size: number; lastModified: Date | null }> = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new (s3().ListObjectsV2Command)({
            Bucket: this.bucket,
            Prefix: prefix ? `${prefix}/` : undefined,
            ContinuationToken: token,
          }),
        );
        for (const o of page.Contents ?? [])
          if (o.Key) found.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? null });
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token && found.length < 10 * MAX_LIST);
    } catch (e) {
      throw storageError(e, 'listing backups');
    }
    found.sort(
      (a, b) => (b.lastModified?.getTime() ?? 0) - (a.lastModified?.getTime() ?? 0) || (a.key < b.key ? 1 : -1),
    );
    const page = found.slice(0, MAX_LIST);
    const out: BackupObject[] = new Array(page.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < page.length) {
        const i = next++;
        const o = page[i];
        const h = await this.head(o.key);
        const m = h?.meta ?? {};
        out[i] = {
          key: o.key,
          client_name: m['client-name'] ?? null,
          label: m.label ?? null,
          size_bytes: h?.size ?? o.size,
          last_modified: h?.lastModified ?? o.lastModified,
          sha256: m.sha256 ?? null,
          server_version: m['server-version'] ?? null,
          pg_dump_version: m['pg-dump-version'] ?? null,
        };
      }
    };
    await Promise.all(Array.from({ length: Math.min(HEAD_CONCURRENCY, page.length) }, worker));
    return out.filter(Boolean);
  }

  /**
   * Cleans up after a failed upload of `key` (a key is written by one job only): aborts every unfinished
   * multipart upload of that exact key and deletes the object should one exist. When S3 cannot be reached the
   * key is remembered and the cleanup is retried by `retryDiscards`. Never throws; false when it did not get through.
   */
  async discard(key: string): Promise<boolean> {
    try {
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const page = await this.client.send(
          new (s3().ListMultipartUploadsCommand)({
            Bucket: this.bucket,
            Prefix: key,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const u of page.Uploads ?? []) {
          if (u.Key === key && u.UploadId)
            await this.client.send(
              new (s3().AbortMultipartUploadCommand)({ Bucket: this.bucket, Key: key, UploadId: u.UploadId }),
            );
        }
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
      } while (keyMarker || uploadIdMarker);
      await this.client.send(new (s3().DeleteObjectCommand)({ Bucket: this.bucket, Key: key }));
      this.undiscarded.delete(key);
      return true;
    } catch {
      this.undiscarded.add(key);
      return false;
    }
  }

  /** Retries the cleanups `discard` could not finish; returns how many are still pending. */
  async retryDiscards(): Promise<number> {
    for (const key of [...this.undiscarded]) {
      if (!(await this.discard(key))) break; // still unreachable: try the rest next time
    }
    return this.undiscarded.size;
  }

  /** Failed uploads not cleaned up yet. */
  get pendingDiscards(): number {
    return this.undiscarded.size;
  }

  destroy(): void {
    this.client.destroy();
  }
}
