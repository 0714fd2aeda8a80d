/*
 * Preloaded into the bench target by bench/alloc.js (`node --require bench/alloc-probe.js`). Each SIGUSR2 toggles a
 * measurement window: the first starts V8's sampling heap profiler (counting objects that die young as well, so
 * the profile is allocation volume, not live memory) and a count of garbage-collection pauses; the second stops
 * both and writes them to `${BENCH_ALLOC_OUT}-<n>.json`.
 */
const inspector = require('node:inspector');
const { renameSync, writeFileSync } = require('node:fs');
const { constants } = require('node:perf_hooks');

const out = process.env.BENCH_ALLOC_OUT;
const session = new inspector.Session();
session.connect();
let open = false;
let windows = 0;
const gc = { minor: { count: 0, ms: 0 }, major: { count: 0, ms: 0 } };
new PerformanceObserver((list) => {
  if (!open) return;
  for (const e of list.getEntries()) {
    const g = e.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR ? gc.minor : gc.major;
    g.count++;
    g.ms += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

process.on('SIGUSR2', () => {
  if (!open) {
    gc.minor = { count: 0, ms: 0 };
    gc.major = { count: 0, ms: 0 };
    session.post(
      'HeapProfiler.startSampling',
      { samplingInterval: 1024, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true },
      (err) => {
        if (err) process.stderr.write(`alloc probe: ${err.message}\n`);
        else open = true;
      },
    );
    return;
  }
  open = false;
  session.post('HeapProfiler.stopSampling', (err, r) => {
    if (err) return process.stderr.write(`alloc probe: ${err.message}\n`);
    // Written aside, then renamed: the reader never sees a partial file.
    const file = `${out}-${++windows}.json`;
    writeFileSync(`${file}.tmp`, JSON.stringify({ gc, profile: r.profile }));
    renameSync(`${file}.tmp`, file);
  });
});
