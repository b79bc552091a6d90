// This package's fuzz targets in the test suite: seeds, kept crash inputs (src/fuzz/regressions/)
// and seeded mutations of them, by the shared harness (libs/protocol/src/fuzz/harness.ts).
import { fuzzTargetsSpec } from '@tacit/protocol/fuzz-harness.js';
import * as clientAddress from './client-address.fuzz.js';
import * as drainPage from './drain-page.fuzz.js';
import * as handshake from './handshake.fuzz.js';
import * as mailboxEvent from './mailbox-event.fuzz.js';
import * as wsock from './wsock.fuzz.js';

fuzzTargetsSpec({ 'client-address': clientAddress, 'drain-page': drainPage, handshake, 'mailbox-event': mailboxEvent, wsock }, new URL('../../src/fuzz/regressions/', import.meta.url));
