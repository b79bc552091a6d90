// This package's fuzz targets in the test suite: seeds, kept crash inputs (src/fuzz/regressions/)
// and seeded mutations of them, by the shared harness (libs/protocol/src/fuzz/harness.ts).
import { fuzzTargetsSpec } from '@tacit/protocol/fuzz-harness.js';
import * as messages from './messages.fuzz.js';
import * as packed from './packed.fuzz.js';

fuzzTargetsSpec({ messages, packed }, new URL('../../src/fuzz/regressions/', import.meta.url));
