import { formatBytes, formatDuration, ProgressDisplay, progressText } from './cli-backup';

describe('athena backup progress display', () => {
  it('formats bytes, durations, and a bar with rate and ETA when the total is known', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(50 * 1024 * 1024)]).toEqual([
      '512 B',
      '1.50 KiB',
      '50.0 MiB',
    ]);
    expect([formatDuration(5), formatDuration(125), formatDuration(7300), formatDuration(Number.NaN)]).toEqual([
      '5s',
      '2m05s',
      '2h01m',
      '?',
    ]);
    expect(
      progressText({ label: 'restore', bytes: 25 * 1048576, total: 100 * 1048576, rate: 5 * 1048576, width: 8 }),
    ).toBe('restore [##......]  25% 25.0 MiB / 100.0 MiB 5.00 MiB/s ETA 15s');
    expect(progressText({ label: 'backup', bytes: 2048, total: null, rate: null })).toBe('backup 2.00 KiB');
  });

  it('redraws one line on a TTY and prints plain lines on status changes elsewhere', () => {
    const tty = {
      buf: '',
      isTTY: true,
      columns: 200,
      write(s: string) {
        this.buf += s;
      },
    };
    const d = new ProgressDisplay(tty);
    d.update({ label: 'job 1', status: 'running', bytes: 10, total: 100, rate: 10 });
    d.update({ label: 'job 1', status: 'running', bytes: 100, total: 100, rate: 10 });
    d.done();
    expect(tty.buf).toBe(
      '\rjob 1 running [##......................]  10% 10 B / 100 B 10 B/s ETA 9s\x1b[K' +
        '\rjob 1 running [########################] 100% 100 B / 100 B 10 B/s ETA 0s\x1b[K\n',
    );

    const plain = {
      buf: '',
      write(s: string) {
        this.buf += s;
      },
    };
    const p = new ProgressDisplay(plain, { plainEveryMs: 60_000 });
    p.update({ label: 'job 2', status: 'pending', bytes: 0, total: null, rate: null });
    p.update({ label: 'job 2', status: 'running', bytes: 10, total: null, rate: 5 });
    p.update({ label: 'job 2', status: 'running', bytes: 20, total: null, rate: 5 });
    p.update({ label: 'job 2', status: 'completed', bytes: 30, total: null, rate: 5 });
    p.done();
    expect(plain.buf).toBe('job 2 pending 0 B\njob 2 running 10 B 5 B/s\njob 2 completed 30 B 5 B/s\n');
    const quiet = {
      buf: '',
      write(s: string) {
        this.buf += s;
      },
    };
    new ProgressDisplay(quiet, { quiet: true }).update({ label: 'x', status: 'running', bytes: 1, total: null });
    expect(quiet.buf).toBe('');
  });
});
