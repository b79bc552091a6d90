// The configuration tables of the operator docs, made from the settings schemas themselves (each
// field's default and description), so the docs cannot drift from the code: `node
// services/node/dist/settings-docs.js --write` rewrites them between their markers in docs/, and a
// spec fails when they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { directoryServiceConfigSchema } from '@tacit/directory';
import { gatewayServiceConfigSchema } from '@tacit/gateway';
import { isSecretKey, tracingConfigSchema, type ConfigSchema } from '@tacit/kit';
import { mediaServiceConfigSchema } from '@tacit/media';
import { shellConfigSchema } from '@tacit/platform';
import { prekeyServiceConfigSchema } from '@tacit/prekey';
import { pushServiceConfigSchema } from '@tacit/push';
import { queueServiceConfigSchema } from '@tacit/queue';
import { nodeConfigSchema } from './node.js';

const _shellOnly = Object.fromEntries(Object.entries(shellConfigSchema).filter(([k]) => !(k in tracingConfigSchema))) as ConfigSchema;

/** The settings that bound what a client can make a relay spend (docs/security.md lists them all). */
export const LIMIT_SETTINGS = [
  'GATEWAY_MAX_FRAME_BYTES',
  'GATEWAY_CONN_RATE',
  'GATEWAY_CONN_BURST',
  'GATEWAY_CONN_BYTE_RATE',
  'GATEWAY_CONN_BYTE_BURST',
  'GATEWAY_IP_RATE',
  'GATEWAY_IP_BYTE_RATE',
  'GATEWAY_IP_CONNECT_RATE',
  'GATEWAY_IP_CLAIM_RATE',
  'GATEWAY_IP_DRAIN_RATE',
  'GATEWAY_MAX_CONNECTIONS',
  'GATEWAY_MAX_CONNECTIONS_PER_IP',
  'GATEWAY_MAX_CLAIMS',
  'GATEWAY_MAX_CLAIMS_PER_IP',
  'GATEWAY_MAX_CLAIMS_TOTAL',
  'GATEWAY_MAX_BAD_PROOFS',
  'GATEWAY_MAX_INFLIGHT_SENDS',
  'GATEWAY_MAX_BUFFERED_BYTES',
  'GATEWAY_DELIVERY_WINDOW',
  'GATEWAY_DELIVERY_ACK_TIMEOUT_MS',
  'GATEWAY_HELLO_TIMEOUT_MS',
  'GATEWAY_FRAME_TIMEOUT_MS',
  'GATEWAY_IDLE_TIMEOUT_MS',
  'GATEWAY_MAX_PARTIAL_BYTES',
  'GATEWAY_IP_QUEUE_BYTES_PER_HOUR',
  'GATEWAY_IP_QUEUE_BYTE_RATE',
  'GATEWAY_HIDE_PRESENCE',
  'GATEWAY_CLIENT_ADDRESS_FROM',
  'GATEWAY_TRUSTED_PROXIES',
  'GATEWAY_PREKEY_FETCHES_PER_MINUTE',
  'GATEWAY_PREKEY_UPLOADS_PER_MINUTE',
  'GATEWAY_PREKEY_MAX_INFLIGHT',
  'GATEWAY_PREKEY_BODY_TIMEOUT_MS',
  'GATEWAY_DIRECTORY_LOOKUPS_PER_MINUTE',
  'GATEWAY_DIRECTORY_WRITES_PER_MINUTE',
  'GATEWAY_DIRECTORY_MAX_INFLIGHT',
  'GATEWAY_DIRECTORY_BODY_TIMEOUT_MS',
  'GATEWAY_PUSH_REGISTERS_PER_MINUTE',
  'GATEWAY_PUSH_UNREGISTERS_PER_MINUTE',
  'GATEWAY_PUSH_MAX_INFLIGHT',
  'GATEWAY_PUSH_BODY_TIMEOUT_MS',
  'GATEWAY_PUSH_MAX_BODY_BYTES',
  'QUEUE_MAILBOX_CAP',
  'QUEUE_MAX_PACKET_BYTES',
  'QUEUE_TTL_SECONDS',
  'QUEUE_STORAGE_LIMIT',
  'QUEUE_MAX_WAITING_PACKETS',
  'PREKEY_MAX_PREKEYS',
  'PREKEY_ONE_TIME_PER_HOUR',
  'PREKEY_BUNDLE_TTL_DAYS',
  'DIRECTORY_LOOKUPS_PER_MINUTE',
  'DIRECTORY_WRITES_PER_HOUR',
  'PUSH_TARGET_PER_HOUR',
  'PUSH_REQUESTER_PER_HOUR',
  'PUSH_MAX_REGISTRATIONS',
  'PUSH_MAX_PER_TARGET',
  'PUSH_CONCURRENCY',
  'MEDIA_MAX_BLOB_BYTES',
  'MEDIA_QUOTA_BYTES_PER_DAY',
  'MEDIA_MAX_CONCURRENT_UPLOADS',
  'MEDIA_REQUESTS_PER_MINUTE',
  'MEDIA_MAX_INFLIGHT',
  'MEDIA_IDLE_TIMEOUT',
  'MEDIA_UPLOAD_EXPIRY',
] as const;

function _pick(schema: ConfigSchema, keys: readonly string[]): ConfigSchema {
  return Object.fromEntries(
    keys.map((k) => {
      if (!(k in schema)) throw new Error(`LIMIT_SETTINGS names ${k}, which no schema has`);
      return [k, schema[k]!];
    }),
  ) as ConfigSchema;
}

/** Each table: the doc it lives in, and the schema it lists. */
export const SETTINGS_TABLES: Record<string, { doc: string; schema: ConfigSchema }> = {
  gateway: { doc: 'docs/gateway.md', schema: gatewayServiceConfigSchema },
  queue: { doc: 'docs/queue.md', schema: queueServiceConfigSchema },
  prekey: { doc: 'docs/prekey.md', schema: prekeyServiceConfigSchema },
  directory: { doc: 'docs/directory.md', schema: directoryServiceConfigSchema },
  push: { doc: 'docs/push.md', schema: pushServiceConfigSchema },
  media: { doc: 'docs/media.md', schema: mediaServiceConfigSchema },
  node: { doc: 'docs/architecture.md', schema: Object.fromEntries(Object.entries(nodeConfigSchema).filter(([k]) => !/^(GATEWAY|QUEUE|PREKEY|DIRECTORY|PUSH|MEDIA|S3|AWS)_/.test(k))) as ConfigSchema },
  shell: { doc: 'docs/architecture.md', schema: _shellOnly },
  tracing: { doc: 'docs/architecture.md', schema: tracingConfigSchema },
  limits: { doc: 'docs/security.md', schema: _pick({ ...gatewayServiceConfigSchema, ...queueServiceConfigSchema, ...prekeyServiceConfigSchema, ...directoryServiceConfigSchema, ...pushServiceConfigSchema, ...mediaServiceConfigSchema }, LIMIT_SETTINGS) },
};

function _default(v: unknown, key: string): string {
  if (v === undefined) return '—';
  if (isSecretKey(key)) return '(secret)';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) >= 10_000 ? v.toLocaleString('en-US').replace(/,/g, '\u202f') : String(v);
  return `\`${String(v)}\``;
}

/** The markdown table of `schema`: variable, default (— when required or unset), meaning. */
export function settingsTable(schema: ConfigSchema): string {
  const rows = Object.entries(schema).map(([key, f]) => {
    const def = f.default === undefined && !f.optional ? 'required' : _default(f.default, key);
    return `| \`${key}\` | ${def} | ${(f.description ?? '').replace(/\|/g, '\\|')} |`;
  });
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

const _root = fileURLToPath(new URL('../../../', import.meta.url));
const _marker = (name: string) => [`<!-- settings:${name} (made by services/node/src/settings-docs.ts) -->`, `<!-- /settings:${name} -->`] as const;

/** `text` with the table `name` between its markers made anew; throws when the markers are missing. */
export function withTable(text: string, name: string): string {
  const [open, close] = _marker(name);
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  if (a < 0 || b < a) throw new Error(`no ${open} … ${close} markers`);
  return `${text.slice(0, a + open.length)}\n${settingsTable(SETTINGS_TABLES[name]!.schema)}\n${text.slice(b)}`;
}

/** Every doc as it should read, by path. */
export function expectedDocs(): Map<string, { actual: string; expected: string }> {
  const out = new Map<string, { actual: string; expected: string }>();
  for (const [name, { doc }] of Object.entries(SETTINGS_TABLES)) {
    const path = `${_root}${doc}`;
    const entry = out.get(path) ?? { actual: readFileSync(path, 'utf8'), expected: readFileSync(path, 'utf8') };
    entry.expected = withTable(entry.expected, name);
    out.set(path, entry);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  for (const [path, { expected }] of expectedDocs()) writeFileSync(path, expected);
}
