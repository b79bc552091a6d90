import {
  ConfigError,
  defineConfig,
  loadConfig,
  oneOf,
  port,
  string,
  tracingConfigSchema,
  type Config,
  type ConfigIssue,
  type ConfigSchema,
} from '@tacit/kit';

/** Settings the shell reads for every service: the ops listener, logging and tracing. */
export const shellConfigSchema = defineConfig({
  OPS_HOST: string({ default: '0.0.0.0', description: 'address of /healthz, /readyz and /metrics (in a pod: 0.0.0.0, so the kubelet can probe)' }),
  OPS_PORT: port({ default: 9090, description: 'port of /healthz, /readyz and /metrics (never the public port)' }),
  LOG_LEVEL: oneOf(['debug', 'info', 'warn', 'error'] as const, { default: 'info', description: 'lowest log level written' }),
  ...tracingConfigSchema,
});

/** The shell's validated settings. */
export type ShellConfig = Config<typeof shellConfigSchema>;

/**
 * A rule across settings (e.g. "REDIS_SENTINELS needs REDIS_SENTINEL_MASTER"): the issues it finds
 * in settings that each passed their own check, each naming the variables involved.
 */
export type SettingsCheck<C> = (settings: C) => readonly ConfigIssue[];

/**
 * Validates `env` against `schema` (see kit's loadConfig: every bad variable is named at once), and
 * refuses variables that carry one of `prefixes` but are not in the schema: a misspelt
 * QUEUE_MAILBOX_CAPP would otherwise be ignored and the default silently used. Then `checks` run on
 * the parsed settings (only when every variable passed on its own, so they see typed values).
 */
export function loadSettings<S extends ConfigSchema>(
  schema: S,
  env: Record<string, string | undefined>,
  prefixes: readonly string[] = [],
  checks: readonly SettingsCheck<Config<S>>[] = [],
): Config<S> {
  const unknown: ConfigIssue[] = Object.keys(env)
    .filter((k) => env[k] !== undefined && env[k] !== '' && prefixes.some((p) => k.startsWith(p)) && !Object.hasOwn(schema, k))
    .sort()
    .map((key) => ({ key, problem: `unknown setting (this process reads ${_known(schema, prefixes, key)})` }));
  let settings: Config<S> | undefined;
  let issues: readonly ConfigIssue[] = [];
  try {
    settings = loadConfig(schema, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues = err.issues;
  }
  if (unknown.length > 0 || issues.length > 0) throw new ConfigError([...issues, ...unknown]);
  const crossed = checks.flatMap((check) => check(settings!));
  if (crossed.length > 0) throw new ConfigError(crossed);
  return settings!;
}

function _known(schema: ConfigSchema, prefixes: readonly string[], key: string): string {
  const prefix = prefixes.find((p) => key.startsWith(p))!;
  const names = Object.keys(schema).filter((k) => k.startsWith(prefix));
  return names.length > 0 ? `${prefix}*: ${names.join(', ')}` : `no ${prefix}* settings`;
}
