// @tacit/push: content-free wake signals — registrations of APNs, FCM and Web Push targets for the
// mailboxes a peer key can claim, and coalesced, retried, durable wakes (docs/push.md).
export type { ClaimedWake, PushRepository, RegisterResult, VerifiedRegistration } from './repository.js';
export { SqlPushRepository, PUSH_MIGRATIONS_DIR, PUSH_MIGRATIONS_TABLE, PUSH_MIGRATION_LOCK } from './sql-repository.js';
export { PgPushRepository, pushMigrationTarget } from './pg-repository.js';
export { PglitePushRepository } from './pglite-repository.js';
export {
  PushService,
  DEFAULT_PUSH_LIMITS,
  type PushLimits,
  type PushLog,
  type PushRegistration,
  type PushServiceOptions,
  type PushStats,
  type PushUnregistration,
  type Registered,
  type WakeCounts,
} from './push.service.js';
export { checkTarget } from './target.js';
export { WindowCounter } from './rate-limit.js';
export { BusIntake, JetStreamIntake, type BusIntakeOptions, type IntakeStats, type JetStreamIntakeOptions, type PushIntake, type QueuedPageHandler } from './intake.js';
export { PushController, CODE_TO_STATUS, targetFields } from './push.controller.js';
export { PushModule, PushLifecycle, PUSH_STORE, PUSH_SENDERS, PUSH_SENDER_FACTORY, openPushStore } from './push.module.js';
export { providerSenders, type SenderFactory } from './senders.js';
export {
  pushConfigSchema,
  pushServiceConfigSchema,
  pushLimits,
  pushSettingsIssues,
  providerSettings,
  type ApnsSettings,
  type FcmSettings,
  type ProviderSettings,
  type PushConfig,
  type WebPushSettings,
} from './config.js';
export { bindPushMetrics, type PushMetricsOptions } from './metrics.js';
export { pushService } from './service.js';
