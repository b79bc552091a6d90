import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { relayKeyPair } from '@tacit/protocol';
import { RelayKey } from './tokens.js';

/**
 * The relay key from the settings: GATEWAY_RELAY_KEY's secret; else the secret in
 * GATEWAY_RELAY_KEY_FILE (made, mode 0600, with 32 random bytes in hex when missing, so a node keeps
 * its key across restarts); else a random key for this process only (enough for one process; a
 * cluster sets one secret, or a client that pins the relay key refuses the replicas whose key differs).
 */
export function loadRelayKey(settings: { GATEWAY_RELAY_KEY?: string | undefined; GATEWAY_RELAY_KEY_FILE?: string | undefined }): RelayKey {
  if (settings.GATEWAY_RELAY_KEY !== undefined) return from(settings.GATEWAY_RELAY_KEY, 'setting');
  const file = settings.GATEWAY_RELAY_KEY_FILE;
  if (file === undefined) return from(randomBytes(32).toString('hex'), 'ephemeral');
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    secret = randomBytes(32).toString('hex');
    mkdirSync(dirname(file), { recursive: true });
    // 'wx': two processes starting at once do not overwrite each other's key; the loser reads it.
    try {
      writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      secret = readFileSync(file, 'utf8').trim();
    }
  }
  if (secret.length < 32) throw new RangeError(`GATEWAY_RELAY_KEY_FILE ${file}: expected a secret of at least 32 characters, got ${secret.length}`);
  return from(secret, 'file');
}

function from(secret: string, source: RelayKey['source']): RelayKey {
  const { secretKey, publicKey } = relayKeyPair(new TextEncoder().encode(secret));
  return new RelayKey(secretKey, publicKey, source);
}
