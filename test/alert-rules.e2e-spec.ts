import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isCI, loudNotice } from './support/services';

/**
 * The shipped Prometheus alert rules (deploy/prometheus/athena-alerts.yml): `promtool check rules` and the
 * `promtool test rules` unit tests (each alert fires on its condition and stays quiet otherwise); every metric
 * they read is one the gateway exports. promtool comes from Debian's `prometheus` package (.ci/run installs it).
 */
const ROOT = resolve(__dirname, '..');
const DIR = join(ROOT, 'deploy/prometheus');
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!promtool) {
  if (isCI()) throw new Error('promtool is required under CI (apt-get install prometheus; .ci/run does it)');
  loudNotice([
    'promtool unavailable: the promtool checks in test/alert-rules.e2e-spec.ts will be SKIPPED.',
    'Install it with `apt-get install prometheus` (Debian).',
  ]);
}
const withPromtool = promtool ? it : it.skip;

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.spec.ts')) out.push(readFileSync(p, 'utf8'));
  }
  return out;
}

describe('Prometheus alert rules', () => {
  withPromtool('promtool check rules passes', () => {
    const r = spawnSync('promtool', ['check', 'rules', 'athena-alerts.yml'], { cwd: DIR, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  withPromtool('promtool test rules: every alert fires on its condition and stays quiet otherwise', () => {
    const r = spawnSync('promtool', ['test', 'rules', 'athena-alerts.test.yml'], { cwd: DIR, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('each rule is unit-tested and reads only metrics the gateway exports', () => {
    const rules = readFileSync(join(DIR, 'athena-alerts.yml'), 'utf8');
    const tests = readFileSync(join(DIR, 'athena-alerts.test.yml'), 'utf8');
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    expect(alerts.length).toBeGreaterThanOrEqual(4);
    for (const a of alerts) expect(tests).toContain(`alertname: ${a}`);
    const code = sources(join(ROOT, 'libs')).join('\n');
    const names = new Set([...rules.matchAll(/\b(athena_[a-z_]+)/g)].map((m) => m[1]));
    for (const n of names) expect([n, code.includes(`'${n}'`)]).toEqual([n, true]);
  });
});
