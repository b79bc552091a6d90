// @tacit/push-providers/testing: local servers that play APNs, FCM (with its OAuth token endpoint)
// and a Web Push service on 127.0.0.1, each with a self-signed certificate made at start, verifying
// what the real provider verifies and recording every accepted wake and any body carrying content.
export { MAX_RECORDED, type FakeAnswer, type FakeProvider, type FakeWake } from './_fake.js';
export { selfSignedCert, type TestCert } from './cert.js';
export { startFakeApns, type FakeApns, type FakeApnsOptions } from './fake-apns.js';
export { startFakeFcm, type FakeFcm, type FakeFcmOptions } from './fake-fcm.js';
export { startFakeWebPush, type FakeSubscription, type FakeWebPush, type FakeWebPushOptions } from './fake-webpush.js';
