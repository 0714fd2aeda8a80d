/**
 * A dependency loaded on first use instead of at boot. The backend SDKs (cassandra-driver, supabase-js, the AWS
 * S3 client) each add 10–20 MB of resident memory when required; a gateway that has no ScyllaDB client, no Supabase
 * client or no backup storage configured never loads them. Types stay static (`import type`); only the runtime
 * `require` is deferred.
 */
export function lazyModule<T>(load: () => T): () => T {
  let mod: T | undefined;
  return () => (mod ??= load());
}
