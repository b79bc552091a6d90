// @tacit/deploy: what the image and the chart run besides the services.
export { roundTrip, RoundTripError, type RoundTripOptions, type RoundTripResult } from './roundtrip.js';
export { accepts, parseEndpoints, waitForEndpoints, type Endpoint } from './wait-for.js';
