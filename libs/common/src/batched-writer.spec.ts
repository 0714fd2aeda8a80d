import { BatchedWriter, BatchedWriterOptions } from './batched-writer';

function setup(over: Partial<BatchedWriterOptions<number>> = {}) {
  const written: number[][] = [];
  const events: string[] = [];
  let drops = 0;
  let ready = true;
  let fail: Error | null = null;
  const w = new BatchedWriter<number>({
    label: 'test log',
    batchSize: 3,
    flushIntervalMs: 100,
    maxBuffered: 5,
    write: async (batch) => {
      if (fail) throw fail;
      written.push(batch);
    },
    ready: () => ready,
    onDrop: () => drops++,
    onWritten: (n) => events.push(`written ${n}`),
    onWriteFailed: (e, n) => events.push(`failed ${n} ${e.message}`),
    logger: { info: (m) => events.push(`log: ${m}`), error: (m) => events.push(`error: ${m}`) },
    ...over,
  });
  return {
    w,
    written,
    events,
    drops: () => drops,
    setReady: (r: boolean) => (ready = r),
    setFail: (e: Error | null) => (fail = e),
  };
}

/** Lets pending promise callbacks run (no timers involved). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('BatchedWriter', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('writes after the interval when fewer than a batch are buffered', async () => {
    const t = setup();
    t.w.push(1);
    t.w.push(2);
    await settle();
    expect(t.written).toEqual([]);
    jest.advanceTimersByTime(99);
    await settle();
    expect(t.written).toEqual([]);
    jest.advanceTimersByTime(1);
    await settle();
    expect(t.written).toEqual([[1, 2]]);
    expect(t.events).toEqual(['written 2']);
    expect(t.w.size).toBe(0);
  });

  it('writes immediately when a batch is full, in batches of batchSize', async () => {
    const t = setup({ maxBuffered: 100 });
    for (let i = 1; i <= 7; i++) t.w.push(i);
    await settle();
    // The first batch started at item 3; the rest followed without waiting for the timer while full.
    expect(t.written.slice(0, 2)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.w.size).toBe(1);
    jest.advanceTimersByTime(100);
    await settle();
    expect(t.written).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('refuses and counts items beyond maxBuffered', async () => {
    const t = setup();
    t.setReady(false);
    const accepted = [1, 2, 3, 4, 5, 6, 7].map((i) => t.w.push(i));
    expect(accepted).toEqual([true, true, true, true, true, false, false]);
    expect(t.drops()).toBe(2);
    expect(t.w.size).toBe(5);
  });

  it('keeps buffering while not ready (without spinning) and writes once ready', async () => {
    const t = setup({ maxBuffered: 10 });
    t.setReady(false);
    for (let i = 1; i <= 4; i++) t.w.push(i);
    await settle();
    expect(t.written).toEqual([]);
    expect(jest.getTimerCount()).toBe(1); // waits for the timer instead of re-flushing in a loop
    t.setReady(true);
    jest.advanceTimersByTime(100);
    await settle();
    expect(t.written).toEqual([[1, 2, 3]]);
    jest.advanceTimersByTime(100); // the partial rest waits for the next interval
    await settle();
    expect(t.written).toEqual([[1, 2, 3], [4]]);
  });

  it('drops a failing batch, logs the failure once per failing run and the recovery once', async () => {
    const t = setup();
    t.setFail(new Error('down'));
    t.w.push(1);
    await t.w.flush();
    t.w.push(2);
    await t.w.flush();
    t.setFail(null);
    t.w.push(3);
    await t.w.flush();
    expect(t.written).toEqual([[3]]);
    expect(t.events).toEqual([
      'failed 1 down',
      'error: writing 1 test log rows failed: down; dropping the batch',
      'failed 1 down',
      'written 1',
      'log: test log writes recovered',
    ]);
  });

  it('shares one running flush between concurrent callers', async () => {
    let release!: () => void;
    const calls: number[][] = [];
    const t = setup({
      write: (batch) => {
        calls.push(batch);
        return new Promise<void>((r) => (release = r));
      },
    });
    t.w.push(1);
    const a = t.w.flush();
    const b = t.w.flush();
    expect(a).toBe(b);
    release();
    await a;
    expect(calls).toEqual([[1]]);
  });

  it('drain() also writes what was pushed while a write was running (flush() returns the running one)', async () => {
    let release!: () => void;
    const calls: number[][] = [];
    const t = setup({
      maxBuffered: 10,
      write: (batch) => {
        calls.push(batch);
        return calls.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
    });
    t.w.push(1);
    const running = t.w.flush();
    t.w.push(2);
    expect(t.w.flush()).toBe(running); // flush: the running write only
    const drained = t.w.drain();
    release();
    await drained;
    expect(calls).toEqual([[1], [2]]);
    expect(t.w.size).toBe(0);
  });

  it('close() clears the timer and drains everything buffered', async () => {
    const t = setup({ batchSize: 2, maxBuffered: 10 });
    t.setReady(false);
    for (let i = 1; i <= 5; i++) t.w.push(i);
    t.setReady(true);
    await t.w.close();
    expect(t.written).toEqual([[1, 2], [3, 4], [5]]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('close() gives up while the sink is not ready', async () => {
    const t = setup();
    t.setReady(false);
    t.w.push(1);
    await t.w.close();
    expect(t.written).toEqual([]);
    expect(t.w.size).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});
