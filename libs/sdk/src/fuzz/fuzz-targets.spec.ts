// This package's fuzz targets in the test suite: seeds, kept crash inputs (src/fuzz/regressions/)
// and seeded mutations of them, by the shared harness (libs/protocol/src/fuzz/harness.ts).
import { fuzzTargetsSpec } from '@tacit/protocol/fuzz-harness.js';
import * as decrypt from './decrypt.fuzz.js';
import * as media from './media.fuzz.js';
import * as messages from './messages.fuzz.js';
import * as relayClient from './relay-client.fuzz.js';

fuzzTargetsSpec({ decrypt, media, messages, 'relay-client': relayClient }, new URL('../../src/fuzz/regressions/', import.meta.url));
