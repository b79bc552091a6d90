/**
 * The push service's settings, read once at boot (see {@link pushConfigSchema}), how they map onto
 * {@link PushService} limits, and which providers they configure.
 * @module
 */
import { readFileSync } from 'node:fs';
import { bool, defineConfig, duration, int, oneOf, string, url, type Config, type ConfigIssue } from '@tacit/kit';
import type { WakeProvider } from '@tacit/push-providers';
import type { PushLimits } from './push.service.js';

/** The push service's own settings (PUSH_*), and where its store lives: in every process that runs it. */
export const pushConfigSchema = defineConfig({
  DATABASE_URL: url({ optional: true, protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL holding registrations and wake state; unset (the node only): PGlite in DATA_DIR' }),
  DATA_DIR: string({ default: '.tacit/data', description: 'folder of the embedded database (PGlite in DATA_DIR/pglite, shared by the services of one process) when DATABASE_URL is unset' }),
  PUSH_SECRET: string({ optional: true, minLength: 32, secret: true, description: 'key of the HMAC under which mailbox ids, peer keys and targets are stored (at least 32 characters, the same on every replica); unset (the node only): one made at first start and kept in the database' }),
  PUSH_COALESCE_WINDOW: duration({ default: 30_000, min: 1000, max: 3_600_000, description: 'at most one wake per registration per window; packets queued inside it wake once at its end' }),
  PUSH_HORIZON_CAP: duration({ default: 8 * 86_400_000, min: 3_600_000, max: 45 * 86_400_000, description: 'a registration lapses this long after it was signed unless renewed' }),
  PUSH_CLOCK_WINDOW: duration({ default: 600_000, min: 10_000, max: 3_600_000, description: "how far a request's issued_at may be from the service clock, either way" }),
  PUSH_RETRY_START: duration({ default: 1000, min: 10, max: 600_000, description: 'first wait after a provider asked to retry (doubles each try)' }),
  PUSH_RETRY_MAX: duration({ default: 300_000, min: 100, max: 86_400_000, description: 'longest wait between tries' }),
  PUSH_RETRY_TRIES: int({ default: 12, min: 1, max: 1000, description: 'tries of one wake before it is given up' }),
  PUSH_RETRY_MAX_AGE: duration({ default: 3_600_000, min: 1000, max: 86_400_000, description: 'a wake still not sent this long after its packet was queued is given up' }),
  PUSH_WAKE_TIMEOUT: duration({ default: 10_000, min: 100, max: 120_000, description: 'a wake the provider has not answered in this long counts as a retry' }),
  PUSH_CONCURRENCY: int({ default: 64, min: 1, max: 10_000, description: 'wakes in flight per provider per replica (a hanging provider holds at most these)' }),
  PUSH_TARGET_PER_HOUR: int({ default: 30, min: 1, max: 1_000_000, description: 'registrations per target per hour per replica' }),
  PUSH_REQUESTER_PER_HOUR: int({ default: 120, min: 1, max: 1_000_000, description: 'registrations and unregistrations per requester (the gateway-hashed client address) per hour per replica' }),
  PUSH_MAX_REGISTRATIONS: int({ default: 1_000_000, min: 1, max: 1_000_000_000, description: 'registrations stored at most; past it new peer keys are refused (RATE_LIMITED)' }),
  PUSH_MAX_PER_TARGET: int({ default: 32, min: 1, max: 10_000, description: 'peer keys one target may be registered under' }),
  PUSH_INTAKE: oneOf(['auto', 'jetstream', 'bus'] as const, {
    default: 'auto',
    description: 'how queued events arrive: jetstream (a durable stream on NATS; required by the cluster), bus (plain subscription: events published while the service is down are lost), auto (jetstream when the bus is NATS with JetStream enabled, else bus)',
  }),
  PUSH_INTAKE_PAGE: int({ default: 256, min: 1, max: 10_000, description: 'queued events recorded per database statement, from the in-process bus or the JetStream consumer (acknowledged after it); 1: one statement each' }),
  PUSH_DB_POOL_SIZE: int({ default: 10, min: 2, max: 200, description: 'PostgreSQL connections per replica' }),
  PUSH_APNS_KEY: string({ optional: true, secret: true, description: 'APNs token-auth signing key (.p8 PEM), or the path of a file holding it' }),
  PUSH_APNS_KEY_ID: string({ optional: true, pattern: /^[A-Z0-9]{10}$/, description: 'the key id APNs shows for PUSH_APNS_KEY (10 characters)' }),
  PUSH_APNS_TEAM_ID: string({ optional: true, pattern: /^[A-Z0-9]{10}$/, description: 'the Apple developer team id (10 characters)' }),
  PUSH_APNS_TOPIC: string({ optional: true, maxLength: 255, description: "the app's bundle id (apns-topic)" }),
  PUSH_APNS_ENDPOINT: url({ default: 'https://api.push.apple.com', protocols: ['https:', 'http:'], description: 'APNs base URL (https://api.sandbox.push.apple.com for development builds; a local server in tests)' }),
  PUSH_FCM_SERVICE_ACCOUNT: string({ optional: true, secret: true, description: 'FCM service account: its JSON, or the path of a file holding it' }),
  PUSH_FCM_ENDPOINT: url({ optional: true, protocols: ['https:', 'http:'], description: "FCM API base URL (unset: Google's); a local server in tests" }),
  PUSH_WEBPUSH_VAPID_PUBLIC: string({ optional: true, pattern: /^[A-Za-z0-9_-]{87}$/, description: 'VAPID public key (base64url, 65-byte P-256 point)' }),
  PUSH_WEBPUSH_VAPID_PRIVATE: string({ optional: true, secret: true, pattern: /^[A-Za-z0-9_-]{43}$/, description: 'VAPID private key (base64url, 32 bytes)' }),
  PUSH_WEBPUSH_VAPID_SUBJECT: string({ optional: true, pattern: /^(mailto:|https:)/, description: 'VAPID subject: a mailto: or https: contact for push services' }),
  PUSH_PROVIDER_CA: string({ optional: true, description: "extra CA certificate (PEM, or the path of a file holding it) the providers' TLS is checked against besides the system's: a private APNs/FCM/Web Push endpoint, local servers in tests" }),
  PUSH_ALLOW_INTERNAL_HOSTS: bool({ default: false, description: 'accept Web Push subscriptions whose endpoint is a loopback, private or single-label host (a client chooses the endpoint and the service POSTs to it: leave off on the internet)' }),
});

/** The push service as the cluster runs it: PostgreSQL, NATS (JetStream) and the HMAC secret are required. */
export const pushServiceConfigSchema = defineConfig({
  ...pushConfigSchema,
  DATABASE_URL: url({ protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL holding registrations and wake state' }),
  NATS_URL: url({ protocols: ['nats:', 'tls:'], description: 'NATS server (with JetStream) the push service serves tacit.push.v1.* on' }),
  PUSH_SECRET: string({ minLength: 32, secret: true, description: 'key of the HMAC under which mailbox ids, peer keys and targets are stored (at least 32 characters, the same on every replica)' }),
  PUSH_INTAKE: oneOf(['jetstream', 'bus'] as const, { default: 'jetstream', description: 'how queued events arrive: jetstream (a durable stream: a restart loses none) or bus (plain subscription)' }),
});

/** The validated settings. */
export type PushConfig = Config<typeof pushConfigSchema>;

/** The {@link PushService} limits these settings ask for. */
export function pushLimits(config: PushConfig): PushLimits {
  return {
    coalesceWindowMs: config.PUSH_COALESCE_WINDOW,
    horizonCapMs: config.PUSH_HORIZON_CAP,
    clockWindowMs: config.PUSH_CLOCK_WINDOW,
    retryStartMs: config.PUSH_RETRY_START,
    retryMaxMs: config.PUSH_RETRY_MAX,
    retryTries: config.PUSH_RETRY_TRIES,
    retryMaxAgeMs: config.PUSH_RETRY_MAX_AGE,
    wakeTimeoutMs: config.PUSH_WAKE_TIMEOUT,
    concurrency: config.PUSH_CONCURRENCY,
    targetPerHour: config.PUSH_TARGET_PER_HOUR,
    requesterPerHour: config.PUSH_REQUESTER_PER_HOUR,
    maxRegistrations: config.PUSH_MAX_REGISTRATIONS,
    maxPerTarget: config.PUSH_MAX_PER_TARGET,
    allowPrivateHosts: config.PUSH_ALLOW_INTERNAL_HOSTS,
  };
}

/** APNs token authentication and where to send. */
export interface ApnsSettings {
  /** The .p8 PEM. */
  key: string;
  keyId: string;
  teamId: string;
  topic: string;
  endpoint: string;
}

/** FCM service account and where to send. */
export interface FcmSettings {
  /** The service account, parsed. */
  serviceAccount: Record<string, unknown>;
  endpoint: string | undefined;
}

/** Web Push VAPID keys. */
export interface WebPushSettings {
  vapidPublic: string;
  vapidPrivate: string;
  subject: string;
}

/** What every provider's sender is given. */
export interface SenderCommon {
  /** A wake unanswered this long is a retry. */
  timeoutMs: number;
  /** Wakes in flight per provider. */
  maxInFlight: number;
  /** Extra trusted CA (PEM). */
  ca: string | undefined;
  /** Web Push endpoints on private hosts accepted (tests, private deployments). */
  allowPrivateHosts: boolean;
}

/** The providers the settings configure; an absent one answers registrations UNSUPPORTED. */
export interface ProviderSettings {
  common: SenderCommon;
  apns?: ApnsSettings;
  fcm?: FcmSettings;
  webpush?: WebPushSettings;
}

type _ProviderKeys = Pick<
  PushConfig,
  | 'PUSH_WAKE_TIMEOUT'
  | 'PUSH_CONCURRENCY'
  | 'PUSH_PROVIDER_CA'
  | 'PUSH_ALLOW_INTERNAL_HOSTS'
  | 'PUSH_APNS_KEY'
  | 'PUSH_APNS_KEY_ID'
  | 'PUSH_APNS_TEAM_ID'
  | 'PUSH_APNS_TOPIC'
  | 'PUSH_APNS_ENDPOINT'
  | 'PUSH_FCM_SERVICE_ACCOUNT'
  | 'PUSH_FCM_ENDPOINT'
  | 'PUSH_WEBPUSH_VAPID_PUBLIC'
  | 'PUSH_WEBPUSH_VAPID_PRIVATE'
  | 'PUSH_WEBPUSH_VAPID_SUBJECT'
>;

const _GROUPS: ReadonlyArray<{ provider: WakeProvider; keys: ReadonlyArray<keyof _ProviderKeys> }> = [
  { provider: 'apns', keys: ['PUSH_APNS_KEY', 'PUSH_APNS_KEY_ID', 'PUSH_APNS_TEAM_ID', 'PUSH_APNS_TOPIC'] },
  { provider: 'fcm', keys: ['PUSH_FCM_SERVICE_ACCOUNT'] },
  { provider: 'webpush', keys: ['PUSH_WEBPUSH_VAPID_PUBLIC', 'PUSH_WEBPUSH_VAPID_PRIVATE', 'PUSH_WEBPUSH_VAPID_SUBJECT'] },
];

/** A PEM or JSON given inline, else read from the file it names. */
function _inlineOrFile(value: string, inline: (v: string) => boolean): string {
  return inline(value) ? value : readFileSync(value, 'utf8');
}

/** Settings check (exit 78): a provider is configured with all of its settings or none; files named must be readable and parse. */
export function pushSettingsIssues(s: _ProviderKeys): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const g of _GROUPS) {
    const set = g.keys.filter((k) => s[k] !== undefined);
    if (set.length > 0 && set.length < g.keys.length) {
      for (const k of g.keys.filter((k) => s[k] === undefined)) issues.push({ key: k, problem: `required with ${set.join(', ')} (${g.provider} is configured with all of ${g.keys.join(', ')} or none)` });
    }
  }
  if (issues.length > 0) return issues;
  try {
    providerSettings(s);
  } catch (err) {
    issues.push({ key: (err as { key?: string }).key ?? 'PUSH_FCM_SERVICE_ACCOUNT', problem: (err as Error).message });
  }
  return issues;
}

class _SettingError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** The providers these settings configure (files read now: call once, at boot). */
export function providerSettings(s: _ProviderKeys): ProviderSettings {
  let ca: string | undefined;
  if (s.PUSH_PROVIDER_CA) {
    try {
      ca = _inlineOrFile(s.PUSH_PROVIDER_CA, (v) => v.includes('-----BEGIN'));
    } catch {
      throw new _SettingError('PUSH_PROVIDER_CA', 'neither a PEM nor a readable file');
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new _SettingError('PUSH_PROVIDER_CA', 'expected a PEM certificate');
  }
  const out: ProviderSettings = {
    common: { timeoutMs: s.PUSH_WAKE_TIMEOUT, maxInFlight: s.PUSH_CONCURRENCY, ca, allowPrivateHosts: s.PUSH_ALLOW_INTERNAL_HOSTS },
  };
  if (s.PUSH_APNS_KEY && s.PUSH_APNS_KEY_ID && s.PUSH_APNS_TEAM_ID && s.PUSH_APNS_TOPIC) {
    let key: string;
    try {
      key = _inlineOrFile(s.PUSH_APNS_KEY, (v) => v.includes('-----BEGIN'));
    } catch {
      throw new _SettingError('PUSH_APNS_KEY', 'neither a PEM nor a readable file');
    }
    if (!key.includes('-----BEGIN PRIVATE KEY-----')) throw new _SettingError('PUSH_APNS_KEY', 'expected a PKCS#8 PEM (the .p8 file Apple gives)');
    out.apns = { key, keyId: s.PUSH_APNS_KEY_ID, teamId: s.PUSH_APNS_TEAM_ID, topic: s.PUSH_APNS_TOPIC, endpoint: s.PUSH_APNS_ENDPOINT };
  }
  if (s.PUSH_FCM_SERVICE_ACCOUNT) {
    let account: unknown;
    try {
      account = JSON.parse(_inlineOrFile(s.PUSH_FCM_SERVICE_ACCOUNT, (v) => v.trimStart().startsWith('{')));
    } catch {
      throw new _SettingError('PUSH_FCM_SERVICE_ACCOUNT', 'neither service-account JSON nor a readable file holding it');
    }
    const a = account as Record<string, unknown> | null;
    if (!a || typeof a !== 'object' || typeof a.client_email !== 'string' || typeof a.private_key !== 'string' || typeof a.project_id !== 'string') {
      throw new _SettingError('PUSH_FCM_SERVICE_ACCOUNT', 'expected a service account with project_id, client_email and private_key');
    }
    out.fcm = { serviceAccount: a, endpoint: s.PUSH_FCM_ENDPOINT };
  }
  if (s.PUSH_WEBPUSH_VAPID_PUBLIC && s.PUSH_WEBPUSH_VAPID_PRIVATE && s.PUSH_WEBPUSH_VAPID_SUBJECT) {
    out.webpush = { vapidPublic: s.PUSH_WEBPUSH_VAPID_PUBLIC, vapidPrivate: s.PUSH_WEBPUSH_VAPID_PRIVATE, subject: s.PUSH_WEBPUSH_VAPID_SUBJECT };
  }
  return out;
}
