// This package's fuzz targets in the test suite: seeds, kept crash inputs (src/fuzz/regressions/)
// and seeded mutations of them, by the shared harness (libs/protocol/src/fuzz/harness.ts).
import { fuzzTargetsSpec } from './harness.js';
import * as clientFrame from './client-frame.fuzz.js';
import * as packet from './packet.fuzz.js';
import * as padding from './padding.fuzz.js';
import * as serverFrame from './server-frame.fuzz.js';

fuzzTargetsSpec({ 'client-frame': clientFrame, 'server-frame': serverFrame, packet, padding }, new URL('../../src/fuzz/regressions/', import.meta.url));
