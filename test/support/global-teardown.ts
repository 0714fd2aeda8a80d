/** Jest globalTeardown of the e2e project: stops whatever global-setup.ts started. */
export default async function globalTeardown(): Promise<void> {
  const g = globalThis as unknown as Record<
    string,
    { stops: Array<{ name: string; stop: () => Promise<void> }> } | undefined
  >;
  const started = g.__ATHENA_TEST_SERVICES__;
  if (!started) return;
  for (const s of started.stops.reverse()) {
    try {
      await s.stop();
    } catch (e) {
      process.stderr.write(`[test-services] stopping ${s.name} failed: ${(e as Error).message}\n`);
    }
  }
  started.stops.length = 0;
}
