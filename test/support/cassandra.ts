/**
 * A real single-node Apache Cassandra for the e2e tests, from Maven Central artifacts (no tarball, no Docker).
 *
 * 1. `ensureCassandraJars()` writes a small pom depending on `org.apache.cassandra:cassandra-all:<version>` into
 *    `~/.cache/athena-test/cassandra-<version>` and runs `mvn dependency:copy-dependencies` once; later runs reuse
 *    the jars (a `.complete` marker is written last, so an interrupted download is retried).
 * 2. `startCassandra()` writes a minimal `cassandra.yaml` (loopback, free ports, data in a temp dir, no auth, one
 *    token, fast-startup properties) and a quiet logback.xml, starts `CassandraDaemon` on JDK 17+ with the module
 *    flags of Cassandra's own `conf/jvm17-server.options`, and waits until the native (CQL) port answers.
 *
 * Used once per test run by global-setup.ts (ATHENA_TEST_CASSANDRA_CONTACT / ATHENA_TEST_CASSANDRA_PID).
 * Env: ATHENA_TEST_CASSANDRA_VERSION (default below), ATHENA_TEST_CACHE_DIR (default ~/.cache/athena-test).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../../libs/common/src/testing';

export const DEFAULT_CASSANDRA_VERSION = '5.0.9';

export function cassandraVersion(): string {
  return process.env.ATHENA_TEST_CASSANDRA_VERSION?.trim() || DEFAULT_CASSANDRA_VERSION;
}

export function cacheDir(version = cassandraVersion()): string {
  const base = process.env.ATHENA_TEST_CACHE_DIR?.trim() || path.join(os.homedir(), '.cache', 'athena-test');
  return path.join(base, `cassandra-${version}`);
}

/** JDK 17 module flags, as in Cassandra 5.0's conf/jvm17-server.options (JPMS section). */
const JVM17_MODULE_FLAGS = [
  '--add-exports',
  'java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports',
  'java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports',
  'java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports',
  'java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports',
  'java.sql/java.sql=ALL-UNNAMED',
  '--add-exports',
  'java.base/java.lang.ref=ALL-UNNAMED',
  '--add-exports',
  'jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-exports',
  'jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports',
  'jdk.attach/sun.tools.attach=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens',
  'java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens',
  'jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens',
  'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.io=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens',
  'jdk.compiler/com.sun.tools.javac=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.lang=ALL-UNNAMED',
  '--add-opens',
  'java.base/java.util=ALL-UNNAMED',
];

/** The `java` to run: $JAVA_HOME/bin/java when set, else `java` on PATH. Throws unless it is version 17 or newer. */
export function findJava(): string {
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(`no usable java (${java}): ${r.error?.message ?? r.stderr}; install openjdk-17-jdk-headless`);
  const m = /version "(\d+)/.exec(r.stderr ?? '');
  const major = m ? Number(m[1]) : 0;
  if (major < 17) throw new Error(`Cassandra 5 needs Java 17+, ${java} is ${m ? m[1] : 'unknown'}`);
  return java;
}

/** Downloads (once) cassandra-all and its runtime dependencies into the cache; returns the jar directory. */
export async function ensureCassandraJars(
  version = cassandraVersion(),
): Promise<{ libDir: string; downloadedMs: number }> {
  const dir = cacheDir(version);
  const libDir = path.join(dir, 'lib');
  const marker = path.join(dir, '.complete');
  if (fs.existsSync(marker)) return { libDir, downloadedMs: 0 };
  const t0 = Date.now();
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(libDir, { recursive: true, force: true });
  fs.writeFileSync(
    path.join(dir, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>athena.test</groupId><artifactId>cassandra-runtime</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.cassandra</groupId><artifactId>cassandra-all</artifactId><version>${version}</version></dependency>
  </dependencies>
</project>
`,
  );
  const mvnArgs = [
    '-B',
    '-q',
    '-f',
    path.join(dir, 'pom.xml'),
    'dependency:copy-dependencies',
    `-DoutputDirectory=${libDir}`,
    '-DincludeScope=runtime',
  ];
  const r = await new Promise<{ code: number | null; output: string; error?: Error }>((resolve) => {
    const child = spawn('mvn', mvnArgs, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error) => resolve({ code: null, output, error }));
    child.once('close', (code) => resolve({ code, output }));
  });
  if (r.error || r.code !== 0) {
    throw new Error(
      `mvn could not fetch cassandra-all ${version} (is Maven installed? apt-get install maven): ${r.error?.message ?? ''}${r.output}`,
    );
  }
  if (!fs.existsSync(path.join(libDir, `cassandra-all-${version}.jar`)))
    throw new Error(`mvn finished but ${libDir} has no cassandra-all-${version}.jar`);
  fs.writeFileSync(marker, new Date().toISOString());
  return { libDir, downloadedMs: Date.now() - t0 };
}

function cassandraYaml(base: string, nativePort: number, storagePort: number): string {
  const d = (name: string) => path.join(base, name);
  return `cluster_name: athena-test
num_tokens: 1
initial_token: 0
auto_bootstrap: false
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:${storagePort}"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: ${storagePort}
native_transport_port: ${nativePort}
start_native_transport: true
data_file_directories: [${JSON.stringify(d('data'))}]
commitlog_directory: ${JSON.stringify(d('commitlog'))}
saved_caches_directory: ${JSON.stringify(d('saved_caches'))}
hints_directory: ${JSON.stringify(d('hints'))}
cdc_raw_directory: ${JSON.stringify(d('cdc_raw'))}
commitlog_sync: periodic
commitlog_sync_period: 10000ms
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
concurrent_reads: 4
concurrent_writes: 4
concurrent_counter_writes: 4
disk_access_mode: mmap_index_only
`;
}

const LOGBACK = `<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>\${cassandra.logdir}/system.log</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
`;

export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export interface RunningCassandra {
  contact: string;
  pid: number;
  version: string;
  /** Download (0 when cached) and daemon start, in milliseconds. */
  timings: { downloadMs: number; startMs: number };
  stop(): Promise<void>;
}

/** Starts a fresh single-node Cassandra (data in a new temp dir) and resolves once its CQL port answers. */
export async function startCassandra(
  opts: { startTimeoutMs?: number; log?: (msg: string) => void } = {},
): Promise<RunningCassandra> {
  const version = cassandraVersion();
  const java = findJava();
  const { libDir, downloadedMs } = await ensureCassandraJars(version);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'athena-test-cassandra-'));
  const confDir = path.join(base, 'conf');
  const logDir = path.join(base, 'logs');
  fs.mkdirSync(confDir);
  fs.mkdirSync(logDir);
  const nativePort = await freePort();
  let storagePort = await freePort();
  while (storagePort === nativePort) storagePort = await freePort();
  fs.writeFileSync(path.join(confDir, 'cassandra.yaml'), cassandraYaml(base, nativePort, storagePort));
  fs.writeFileSync(path.join(confDir, 'logback.xml'), LOGBACK);

  const args = [
    '-Xms512m',
    '-Xmx1g',
    '-Xss512k',
    '-XX:+UseG1GC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djdk.attach.allowAttachSelf=true',
    ...JVM17_MODULE_FLAGS,
    '-Dio.netty.tryReflectionSetAccessible=true',
    '-Djava.net.preferIPv4Stack=true',
    '-Dcassandra-foreground=yes',
    `-Dcassandra.config=file://${path.join(confDir, 'cassandra.yaml')}`,
    `-Dlogback.configurationFile=${path.join(confDir, 'logback.xml')}`,
    `-Dcassandra.logdir=${logDir}`,
    `-Dcassandra.storagedir=${base}`,
    // fast single-node startup
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    '-Dcassandra.ring_delay_ms=0',
    '-Dcassandra.superuser_setup_delay_ms=0',
    '-Dcassandra.unsafesystem=true',
    '-cp',
    `${confDir}${path.delimiter}${path.join(libDir, '*')}`,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
  const t0 = Date.now();
  const out = fs.openSync(path.join(logDir, 'stdout.log'), 'a');
  const child = spawn(java, args, { stdio: ['ignore', out, out], detached: false });
  fs.closeSync(out);
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const tail = () => {
    for (const f of ['system.log', 'stdout.log']) {
      try {
        const t = fs.readFileSync(path.join(logDir, f), 'utf8');
        if (t.trim()) return t.slice(-3000);
      } catch {
        /* next */
      }
    }
    return '(no log)';
  };
  const stop = async (): Promise<void> => {
    if (exited === undefined) {
      try {
        process.kill(child.pid!, 'SIGCONT'); // in case a test left it stopped
      } catch {
        /* gone */
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 15_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    fs.rmSync(base, { recursive: true, force: true });
  };
  const deadline = t0 + (opts.startTimeoutMs ?? 180_000);
  for (;;) {
    if (exited !== undefined) {
      const log = tail();
      fs.rmSync(base, { recursive: true, force: true });
      throw new Error(`CassandraDaemon exited with code ${exited} before its CQL port opened:\n${log}`);
    }
    if (await portAnswers(nativePort)) break;
    if (Date.now() > deadline) {
      const log = tail();
      await stop();
      throw new Error(
        `CassandraDaemon did not open its CQL port ${nativePort} within ${opts.startTimeoutMs ?? 180_000} ms:\n${log}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const startMs = Date.now() - t0;
  opts.log?.(
    `Cassandra ${version}: CQL on 127.0.0.1:${nativePort} (pid ${child.pid}; download ${downloadedMs} ms, start ${startMs} ms)`,
  );
  return {
    contact: `127.0.0.1:${nativePort}`,
    pid: child.pid!,
    version,
    timings: { downloadMs: downloadedMs, startMs },
    stop,
  };
}
