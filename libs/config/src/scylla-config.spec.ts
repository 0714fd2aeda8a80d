import { configProblems, TEST_VALIDATE_BASE } from './testing';
import { validateConfig, validateConfigWithWarnings } from './validate';

const base = TEST_VALIDATE_BASE;
const problems = configProblems;

describe('scylla_clients', () => {
  it('defaults to no clients, and is no longer an unvalidated extra section', () => {
    const r = validateConfigWithWarnings({ scylla_clients: null }, base);
    expect(r.config.scylla_clients).toEqual({});
    expect(r.config.extra).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });

  it('fills defaults, interpolates ${ENV}, accepts a comma-separated contact list', () => {
    const c = validateConfig(
      {
        scylla_clients: {
          events: {
            contact_points: '${SCYLLA_HOSTS}',
            keyspace: 'app',
            username: '${SCYLLA_USER}',
            password: '${SCYLLA_PASSWORD}',
          },
        },
      },
      { ...base, env: { SCYLLA_HOSTS: '10.0.0.5:9042, db.example', SCYLLA_USER: 'u', SCYLLA_PASSWORD: 'p' } },
    );
    expect(c.scylla_clients.events).toEqual({
      contact_points: ['10.0.0.5:9042', 'db.example'],
      local_data_center: 'datacenter1',
      keyspace: 'app',
      username: 'u',
      password: 'p',
      pool_size: 2,
      max_requests_per_connection: 1024,
      connect_timeout_ms: 5000,
      request_timeout_ms: 10000,
      fetch_size_max: 5000,
      allow_filtering: false,
    });
  });

  it('an empty contact list keeps the client (unconfigured) with a warning', () => {
    const r = validateConfigWithWarnings({ scylla_clients: { ev: { contact_points: '${NOPE}' } } }, base);
    expect(r.config.scylla_clients.ev.contact_points).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(/scylla_clients\.ev\.contact_points: empty; client "ev" is disabled/);
  });

  it('names the bad key in every error', () => {
    const p = problems({
      scylla_clients: {
        ev: {
          contact_points: ['ok:9042', 'bad host'],
          pool_size: 0,
          allow_filtering: 'maybe',
          keyspace: 'no-dash',
          typo: 1,
          username: 'u',
        },
        'bad name': { contact_points: ['h'] },
      },
    });
    expect(p).toEqual(
      expect.arrayContaining([
        'scylla_clients.ev.contact_points[1]: expected host or host:port, got "bad host"',
        'scylla_clients.ev.pool_size: expected integer 1..64, got 0',
        'scylla_clients.ev.allow_filtering: expected boolean (true or false), got "maybe"',
        expect.stringMatching(/^scylla_clients\.ev\.keyspace: expected keyspace name/),
        expect.stringMatching(/^scylla_clients\.ev\.typo: unknown key \(allowed: contact_points, /),
      ]),
    );
    expect(p.some((l) => l.startsWith('scylla_clients: expected client name'))).toBe(true);
    expect(problems({ scylla_clients: { ev: { contact_points: ['h:70000'] } } })).toEqual([
      'scylla_clients.ev.contact_points[0]: expected host or host:port, got "h:70000"',
    ]);
    expect(problems({ scylla_clients: { ev: { contact_points: ['h'], password: 'p' } } })).toEqual([
      'scylla_clients.ev.username: expected username and password set together (both or neither), got nothing',
    ]);
    expect(problems({ scylla_clients: 'x' })).toEqual([
      'scylla_clients: expected map of client name to connection settings, got "x"',
    ]);
  });
});
