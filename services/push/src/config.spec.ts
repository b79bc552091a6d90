import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '@tacit/kit';
import { providerSettings, pushConfigSchema, pushLimits, pushSettingsIssues } from './config.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg\n-----END PRIVATE KEY-----\n';
const ACCOUNT = JSON.stringify({ project_id: 'p', client_email: 'a@p.iam.gserviceaccount.com', private_key: PEM });

describe(pushSettingsIssues.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tacit-push-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const load = (env: Record<string, string>) => loadConfig(pushConfigSchema, env);

  it('configures no provider by default, and reads durations with units', () => {
    const s = load({});
    assert.deepEqual(providerSettings(s), { common: { timeoutMs: 10_000, maxInFlight: 64, ca: undefined, allowPrivateHosts: false } });
    assert.deepEqual(pushSettingsIssues(s), []);
    assert.equal(pushLimits(load({ PUSH_COALESCE_WINDOW: '2m' })).coalesceWindowMs, 120_000);
    assert.equal(pushLimits(s).horizonCapMs, 8 * 86_400_000);
  });

  it('takes each provider with all of its settings, inline or from a file', () => {
    const pemFile = join(dir, 'apns.p8');
    const accountFile = join(dir, 'fcm.json');
    writeFileSync(pemFile, PEM);
    writeFileSync(accountFile, ACCOUNT);
    const apns = { PUSH_APNS_KEY: pemFile, PUSH_APNS_KEY_ID: 'ABCDEFGHIJ', PUSH_APNS_TEAM_ID: 'TEAM123456', PUSH_APNS_TOPIC: 'app.example' };
    const web = { PUSH_WEBPUSH_VAPID_PUBLIC: 'B'.repeat(87), PUSH_WEBPUSH_VAPID_PRIVATE: 'k'.repeat(43), PUSH_WEBPUSH_VAPID_SUBJECT: 'mailto:ops@example.test' };
    const p = providerSettings(load({ ...apns, PUSH_FCM_SERVICE_ACCOUNT: accountFile, ...web }));
    assert.equal(p.apns?.key, PEM);
    assert.equal(p.apns?.endpoint, 'https://api.push.apple.com');
    assert.equal(p.fcm?.serviceAccount.project_id, 'p');
    assert.equal(p.webpush?.subject, 'mailto:ops@example.test');
    assert.equal(providerSettings(load({ ...apns, PUSH_APNS_KEY: PEM, PUSH_FCM_SERVICE_ACCOUNT: ACCOUNT })).fcm?.serviceAccount.client_email, 'a@p.iam.gserviceaccount.com');
  });

  it('names what is missing or wrong: a half-configured provider, an unreadable file, a service account without its fields', () => {
    assert.deepEqual(
      pushSettingsIssues(load({ PUSH_APNS_KEY_ID: 'ABCDEFGHIJ' })).map((i) => i.key),
      ['PUSH_APNS_KEY', 'PUSH_APNS_TEAM_ID', 'PUSH_APNS_TOPIC'],
    );
    assert.deepEqual(pushSettingsIssues(load({ PUSH_WEBPUSH_VAPID_SUBJECT: 'mailto:x@y' })).map((i) => i.key), ['PUSH_WEBPUSH_VAPID_PUBLIC', 'PUSH_WEBPUSH_VAPID_PRIVATE']);
    const [missing] = pushSettingsIssues(load({ PUSH_FCM_SERVICE_ACCOUNT: join(dir, 'nope.json') }));
    assert.equal(missing?.key, 'PUSH_FCM_SERVICE_ACCOUNT');
    const [partial] = pushSettingsIssues(load({ PUSH_FCM_SERVICE_ACCOUNT: '{"project_id":"p"}' }));
    assert.match(partial?.problem ?? '', /client_email and private_key/);
    const [notPem] = pushSettingsIssues(load({ PUSH_APNS_KEY: '-----BEGIN CERTIFICATE-----', PUSH_APNS_KEY_ID: 'ABCDEFGHIJ', PUSH_APNS_TEAM_ID: 'TEAM123456', PUSH_APNS_TOPIC: 't' }));
    assert.equal(notPem?.key, 'PUSH_APNS_KEY');
    assert.throws(() => load({ PUSH_APNS_KEY_ID: 'short' }));
    assert.throws(() => load({ PUSH_WEBPUSH_VAPID_SUBJECT: 'ops@example.test' }));
    assert.equal(pushSettingsIssues(load({ PUSH_PROVIDER_CA: join(dir, 'nope.pem') }))[0]?.key, 'PUSH_PROVIDER_CA');
    assert.match(pushSettingsIssues(load({ PUSH_PROVIDER_CA: PEM }))[0]?.problem ?? '', /PEM certificate/);
  });

  it('reads an extra provider CA inline or from a file', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const file = join(dir, 'ca.pem');
    writeFileSync(file, cert);
    assert.equal(providerSettings(load({ PUSH_PROVIDER_CA: file })).common.ca, cert);
    assert.equal(providerSettings(load({ PUSH_PROVIDER_CA: cert, PUSH_ALLOW_INTERNAL_HOSTS: 'true' })).common.allowPrivateHosts, true);
  });
});
