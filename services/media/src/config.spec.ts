import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@tacit/kit';
import { loadSettings } from '@tacit/platform';
import { mediaServiceConfigSchema, mediaSettingsIssues } from './config.js';

describe('media settings', () => {
  const load = (env: Record<string, string>) => loadSettings(mediaServiceConfigSchema, env, ['MEDIA_', 'S3_'], [mediaSettingsIssues]);

  it('defaults to S3 on port 8082, 512 MiB blobs, 2 GiB a day, 30 days of expiry', () => {
    const s = load({ REDIS_URL: 'redis://127.0.0.1:6379' });
    assert.equal(s.MEDIA_PORT, 8082);
    assert.equal(s.MEDIA_STORE, 's3');
    assert.equal(s.MEDIA_MAX_BLOB_BYTES, 512 * 2 ** 20);
    assert.equal(s.MEDIA_QUOTA_BYTES_PER_DAY, 2 * 2 ** 30);
    assert.equal(s.MEDIA_EXPIRY, 30 * 86_400_000);
    assert.equal(s.MEDIA_UPLOAD_EXPIRY, 86_400_000);
  });

  it('refuses a part below S3 minimum, half a credential pair, an unknown MEDIA_ or S3_ variable, and a missing Redis — all at once', () => {
    assert.throws(
      () => load({ MEDIA_PART_SIZE: '1MiB', AWS_ACCESS_KEY_ID: 'x', MEDIA_NOPE: '1', S3_BUKET: 'b' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const keys = err.issues.map((i) => i.key).sort();
        assert.deepEqual(keys, ['MEDIA_NOPE', 'MEDIA_PART_SIZE', 'REDIS_URL', 'S3_BUKET'].sort());
        return true;
      },
    );
    assert.throws(() => load({ REDIS_URL: 'redis://x', AWS_ACCESS_KEY_ID: 'x' }), /AWS_SECRET_ACCESS_KEY/);
  });
});
