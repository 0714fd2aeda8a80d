import { configProblems, TEST_VALIDATE_BASE } from './testing';
import { validateConfig } from './validate';

describe('backup.schedules', () => {
  it('is absent by default and parses schedules with their defaults', () => {
    expect(validateConfig({}, TEST_VALIDATE_BASE).backup.schedules).toBeUndefined();
    const c = validateConfig(
      {
        backup: {
          schedules: [
            { client_name: 'reporting', cron: '0  3 * * *' },
            {
              client_name: 'reporting',
              cron: '*/30 * * * * *',
              label: 'often',
              keep_last: '3',
              time_zone: 'Europe/Berlin',
            },
          ],
        },
      },
      TEST_VALIDATE_BASE,
    );
    expect(c.backup.schedules).toEqual([
      { client_name: 'reporting', cron: '0 3 * * *', label: 'scheduled', keep_last: null, time_zone: 'UTC' },
      { client_name: 'reporting', cron: '*/30 * * * * *', label: 'often', keep_last: 3, time_zone: 'Europe/Berlin' },
    ]);
  });

  it('names the key of every bad value', () => {
    expect(
      configProblems({
        backup: {
          schedules: [
            { client_name: 'bad name', cron: '61 * * * *' },
            { client_name: 'a', cron: '* * *', label: '../x', keep_last: 0, time_zone: 'Mars/Base', extra: 1 },
            { client_name: 'b', cron: '0 3 * * *', label: 'n' },
            { client_name: 'B', cron: '0 4 * * *', label: 'n' },
            'nope',
          ],
        },
      }),
    ).toEqual([
      expect.stringMatching(/^backup\.schedules\[0\]\.client_name: expected client name matching .*, got "bad name"$/),
      expect.stringMatching(
        /^backup\.schedules\[0\]\.cron: expected cron expression .*out of range.*, got "61 \* \* \* \*"$/,
      ),
      expect.stringMatching(
        /^backup\.schedules\[1\]\.extra: expected known key \(allowed: client_name, cron, label, keep_last, time_zone\), got 1$/,
      ),
      'backup.schedules[1].time_zone: expected IANA time zone (e.g. UTC, Europe/Berlin), got "Mars/Base"',
      expect.stringMatching(/^backup\.schedules\[1\]\.cron: expected cron expression .*3 field\(s\), got "\* \* \*"$/),
      expect.stringMatching(/^backup\.schedules\[1\]\.label: expected label matching .*, got "\.\.\/x"$/),
      'backup.schedules[1].keep_last: expected integer 1..1000 (or empty: no retention), got 0',
      'backup.schedules[3].label: expected label unique per client_name (schedule 2 already uses "n" for "B"), got "n"',
      'backup.schedules[4]: expected map with client_name and cron, got "nope"',
    ]);
    expect(configProblems({ backup: { schedules: { client_name: 'a' } } })).toEqual([
      'backup.schedules: expected list of {client_name, cron, label?, keep_last?, time_zone?}, got {"client_name":"a"}',
    ]);
  });
});
