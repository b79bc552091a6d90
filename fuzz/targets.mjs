// Every fuzz target, for fuzz/run.mjs: the compiled module (it exports `fuzz(data)` and `seeds()`),
// the paths jazzer.js instruments for coverage (the code under test, not the harness's
// dependencies), the longest input, the per-input time bound, and whether the target is
// asynchronous (returns a promise). docs/fuzzing.md says what each one checks.

const protocol = ['libs/protocol/dist/'];
const proto = ['proto/dist/', 'node_modules/@bufbuild/protobuf/dist/esm/'];

/** @type {{ name: string, module: string, includes: string[], maxLen: number, timeoutMs?: number, async?: boolean }[]} */
export const TARGETS = [
  { name: 'protocol-client-frame', module: 'libs/protocol/dist/fuzz/client-frame.fuzz.js', includes: protocol, maxLen: 66_000 },
  { name: 'protocol-server-frame', module: 'libs/protocol/dist/fuzz/server-frame.fuzz.js', includes: protocol, maxLen: 66_000 },
  { name: 'protocol-packet', module: 'libs/protocol/dist/fuzz/packet.fuzz.js', includes: protocol, maxLen: 66_000 },
  { name: 'protocol-padding', module: 'libs/protocol/dist/fuzz/padding.fuzz.js', includes: protocol, maxLen: 66_000 },
  { name: 'proto-packed', module: 'proto/dist/fuzz/packed.fuzz.js', includes: proto, maxLen: 16_384 },
  { name: 'proto-messages', module: 'proto/dist/fuzz/messages.fuzz.js', includes: proto, maxLen: 16_384 },
  { name: 'gateway-wsock', module: 'services/gateway/dist/fuzz/wsock.fuzz.js', includes: ['services/gateway/dist/wsock/'], maxLen: 16_384 },
  { name: 'gateway-client-address', module: 'services/gateway/dist/fuzz/client-address.fuzz.js', includes: ['services/gateway/dist/client-address.js', 'libs/platform/dist/client-address.js'], maxLen: 4096 },
  { name: 'gateway-handshake', module: 'services/gateway/dist/fuzz/handshake.fuzz.js', includes: ['services/gateway/dist/wsock/'], maxLen: 4096 },
  { name: 'gateway-mailbox-event', module: 'services/gateway/dist/fuzz/mailbox-event.fuzz.js', includes: ['services/gateway/dist/mailbox-event.js', ...proto], maxLen: 16_384 },
  { name: 'gateway-drain-page', module: 'services/gateway/dist/fuzz/drain-page.fuzz.js', includes: ['services/gateway/dist/drainer.js', 'services/gateway/dist/keys.js', 'proto/dist/'], maxLen: 16_384 },
  { name: 'sdk-messages', module: 'libs/sdk/dist/fuzz/messages.fuzz.js', includes: ['libs/sdk/dist/session/'], maxLen: 8192 },
  { name: 'sdk-decrypt', module: 'libs/sdk/dist/fuzz/decrypt.fuzz.js', includes: ['libs/sdk/dist/session/'], maxLen: 8192, async: true },
  { name: 'sdk-media', module: 'libs/sdk/dist/fuzz/media.fuzz.js', includes: ['libs/sdk/dist/media/', 'libs/sdk/dist/messenger/content.js'], maxLen: 8192 },
  { name: 'sdk-relay-client', module: 'libs/sdk/dist/fuzz/relay-client.fuzz.js', includes: ['libs/sdk/dist/relay-client.js', 'libs/sdk/dist/dedup.js', ...protocol], maxLen: 16_384, async: true },
  { name: 'queue-ack', module: 'services/queue/dist/fuzz/ack.fuzz.js', includes: ['services/queue/dist/', ...proto], maxLen: 16_384, async: true },
];
