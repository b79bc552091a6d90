{{/* Names, labels and the pieces every workload shares. */}}

{{- define "tacit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tacit.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A component's resource name: tacit.component (dict "root" $ "component" "gateway"). */}}
{{- define "tacit.component" -}}
{{- printf "%s-%s" (include "tacit.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tacit.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tacit.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tacit
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "tacit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tacit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of one component: tacit.componentLabels (dict "root" $ "component" "gateway"). */}}
{{- define "tacit.componentLabels" -}}
{{ include "tacit.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tacit.componentSelector" -}}
{{ include "tacit.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tacit.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "tacit.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tacit.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Resource names of the dev dependencies (k8s/dev uses the same rule). */}}
{{- define "tacit.devHost" -}}
{{- printf "%s-dev-%s" .root.Release.Name .dep | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The Secret holding credentials given as values (or derived in dev mode). */}}
{{- define "tacit.secretName" -}}
{{- include "tacit.fullname" . -}}
{{- end -}}

{{- define "tacit.natsUrl" -}}
{{- if .Values.dev.enabled -}}
{{- printf "nats://%s:4222" (include "tacit.devHost" (dict "root" . "dep" "nats")) -}}
{{- else -}}
{{- .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{- define "tacit.databaseUrl" -}}
{{- if .Values.dev.enabled -}}
{{- printf "postgres://tacit:%s@%s:5432/tacit" (.Values.dev.postgresql.password | urlquery) (include "tacit.devHost" (dict "root" . "dep" "postgresql")) -}}
{{- else -}}
{{- .Values.postgresql.url -}}
{{- end -}}
{{- end -}}

{{- define "tacit.redisUrl" -}}
{{- if .Values.dev.enabled -}}
{{- printf "redis://:%s@%s:6379" (.Values.dev.redis.password | urlquery) (include "tacit.devHost" (dict "root" . "dep" "redis")) -}}
{{- else -}}
{{- .Values.redis.url -}}
{{- end -}}
{{- end -}}

{{/* secretKeyRef of a credential: (dict "root" $ "existing" <secret name or ""> "key" <key in it> "own" <key in the chart's Secret>). */}}
{{- define "tacit.secretRef" -}}
{{- if and .existing (not .root.Values.dev.enabled) -}}
secretKeyRef:
  name: {{ .existing }}
  key: {{ .key }}
{{- else -}}
secretKeyRef:
  name: {{ include "tacit.secretName" .root }}
  key: {{ .own }}
{{- end -}}
{{- end -}}

{{/* Settings every service reads: logging, ops listener, tracing. */}}
{{- define "tacit.commonConfig" -}}
LOG_LEVEL: {{ .Values.logLevel | quote }}
OPS_HOST: "0.0.0.0"
OPS_PORT: "9090"
{{- with .Values.tracing }}
{{- if .otlpEndpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ .otlpEndpoint | quote }}
OTEL_TRACES_SAMPLER: {{ .sampler | quote }}
OTEL_TRACES_SAMPLER_ARG: {{ .samplerArg | quote }}
TACIT_TRACE_PACKET_RATIO: {{ .packetRatio | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Redis settings of the gateway beside REDIS_URL (sentinel mode; cluster mode is refused in _validate.tpl). */}}
{{- define "tacit.redisConfig" -}}
{{- if and (not .Values.dev.enabled) (eq .Values.redis.mode "sentinel") }}
REDIS_SENTINELS: {{ join "," .Values.redis.sentinel.nodes | quote }}
REDIS_SENTINEL_MASTER: {{ .Values.redis.sentinel.masterName | quote }}
REDIS_TLS: {{ .Values.redis.tls | quote }}
{{- end }}
{{- end -}}

{{- define "tacit.s3Config" -}}
{{- if .Values.dev.enabled }}
S3_ENDPOINT: {{ printf "http://%s:9000" (include "tacit.devHost" (dict "root" . "dep" "minio")) | quote }}
S3_REGION: "us-east-1"
S3_BUCKET: "tacit"
S3_FORCE_PATH_STYLE: "true"
{{- else if .Values.s3.enabled }}
{{- with .Values.s3.endpoint }}
S3_ENDPOINT: {{ . | quote }}
{{- end }}
S3_REGION: {{ .Values.s3.region | quote }}
S3_BUCKET: {{ .Values.s3.bucket | quote }}
S3_FORCE_PATH_STYLE: {{ .Values.s3.forcePathStyle | quote }}
{{- with .Values.s3.publicEndpoint }}
S3_PUBLIC_ENDPOINT: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Credentials as env entries, for the components that use them. */}}
{{- define "tacit.databaseEnv" -}}
- name: DATABASE_URL
  valueFrom:
    {{- include "tacit.secretRef" (dict "root" . "existing" .Values.postgresql.existingSecret "key" .Values.postgresql.existingSecretKey "own" "database-url") | nindent 4 }}
{{- end -}}

{{- define "tacit.redisEnv" -}}
{{- if or .Values.dev.enabled (eq .Values.redis.mode "standalone") }}
- name: REDIS_URL
  valueFrom:
    {{- include "tacit.secretRef" (dict "root" . "existing" .Values.redis.existingSecret "key" .Values.redis.existingSecretKey "own" "redis-url") | nindent 4 }}
{{- else if or .Values.redis.password .Values.redis.existingSecret }}
- name: REDIS_PASSWORD
  valueFrom:
    {{- include "tacit.secretRef" (dict "root" . "existing" .Values.redis.existingSecret "key" .Values.redis.existingSecretKey "own" "redis-password") | nindent 4 }}
{{- end }}
{{- end -}}

{{- define "tacit.s3Env" -}}
{{- if or .Values.dev.enabled (and .Values.s3.enabled (or .Values.s3.accessKeyId .Values.s3.existingSecret)) }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    {{- include "tacit.secretRef" (dict "root" . "existing" .Values.s3.existingSecret "key" "access-key-id" "own" "s3-access-key-id") | nindent 4 }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    {{- include "tacit.secretRef" (dict "root" . "existing" .Values.s3.existingSecret "key" "secret-access-key" "own" "s3-secret-access-key") | nindent 4 }}
{{- end }}
{{- end -}}

{{/*
The relay key's secret: relayKey.secret, else the one this release's Secret holds already (kept
across upgrades: clients may have pinned the key), else 64 new random characters.
*/}}
{{- define "tacit.relayKeySecret" -}}
{{- if .Values.relayKey.secret -}}
{{- .Values.relayKey.secret -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "tacit.secretName" .) -}}
{{- if and $existing $existing.data (hasKey $existing.data "relay-key") -}}
{{- index $existing.data "relay-key" | b64dec -}}
{{- else -}}
{{- randAlphaNum 64 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tacit.relayKeyEnv" -}}
- name: GATEWAY_RELAY_KEY
  valueFrom:
    {{- include "tacit.secretRef" (dict "root" . "existing" .Values.relayKey.existingSecret "key" .Values.relayKey.existingSecretKey "own" "relay-key") | nindent 4 }}
{{- end -}}

{{- define "tacit.tracingEnv" -}}
{{- if and .Values.tracing.otlpEndpoint .Values.tracing.headersSecret }}
- name: OTEL_EXPORTER_OTLP_HEADERS
  valueFrom:
    secretKeyRef:
      name: {{ .Values.tracing.headersSecret }}
      key: headers
{{- end }}
{{- end -}}

{{/* checksum/config of a component: its ConfigMap and the chart's Secret, so a change rolls its pods. */}}
{{- define "tacit.checksum" -}}
checksum/config: {{ include (print .root.Template.BasePath "/configmap.yaml") .root | sha256sum }}
checksum/secret: {{ include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum }}
{{- end -}}

{{/* Probes on the ops port: startup (booted), liveness (answers), readiness (can serve). */}}
{{- define "tacit.probes" -}}
startupProbe:
  httpGet: { path: /healthz, port: ops }
  periodSeconds: {{ .Values.probes.startup.periodSeconds }}
  failureThreshold: {{ .Values.probes.startup.failureThreshold }}
livenessProbe:
  httpGet: { path: /healthz, port: ops }
  periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
  failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
  timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
readinessProbe:
  httpGet: { path: /readyz, port: ops }
  periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
  failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
  timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
{{- end -}}

{{/* Anti-affinity by node for a component: (dict "root" $ "component" "gateway" "mode" soft|hard|none). */}}
{{- define "tacit.antiAffinity" -}}
{{- if eq .mode "soft" }}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "tacit.componentSelector" . | nindent 12 }}
{{- else if eq .mode "hard" }}
podAntiAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: kubernetes.io/hostname
      labelSelector:
        matchLabels:
          {{- include "tacit.componentSelector" . | nindent 10 }}
{{- end }}
{{- end -}}

{{/* In dev mode, wait for the in-cluster dependencies instead of crash-looping while they start. */}}
{{- define "tacit.waitFor" -}}
{{- if .root.Values.dev.enabled }}
initContainers:
  - name: wait-for-dependencies
    image: {{ include "tacit.image" .root }}
    imagePullPolicy: {{ .root.Values.image.pullPolicy }}
    args: ["wait"]
    env:
      - name: WAIT_FOR
        value: {{ .endpoints | quote }}
    securityContext:
      {{- toYaml .root.Values.containerSecurityContext | nindent 6 }}
    resources:
      requests: { cpu: 10m, memory: 64Mi }
      limits: { memory: 128Mi }
{{- end }}
{{- end -}}

{{- define "tacit.podCommon" -}}
serviceAccountName: {{ include "tacit.serviceAccountName" . }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The Service clients connect to: the gateway's, or the node's. */}}
{{- define "tacit.clientService" -}}
{{- include "tacit.component" (dict "root" . "component" (ternary "gateway" "node" (eq .Values.mode "cluster"))) -}}
{{- end -}}

{{- define "tacit.clientPort" -}}
{{- ternary .Values.gateway.service.port .Values.node.service.port (eq .Values.mode "cluster") -}}
{{- end -}}

{{/*
The push service's HMAC key: push.secret, else the one this release's Secret holds already (kept
across upgrades: another key orphans every registration), else 64 new random characters.
*/}}
{{- define "tacit.pushSecret" -}}
{{- if .Values.push.secret -}}
{{- .Values.push.secret -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "tacit.secretName" .) -}}
{{- if and $existing $existing.data (hasKey $existing.data "push-secret") -}}
{{- index $existing.data "push-secret" | b64dec -}}
{{- else -}}
{{- randAlphaNum 64 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tacit.pushSecretEnv" -}}
- name: PUSH_SECRET
  valueFrom:
    {{- include "tacit.secretRef" (dict "root" . "existing" .Values.push.existingSecret "key" .Values.push.existingSecretKey "own" "push-secret") | nindent 4 }}
{{- end -}}

{{/* The providers' credentials from push.providersSecret, each optional (a provider is configured with all of its settings or none). */}}
{{- define "tacit.pushProviderEnv" -}}
{{- with .Values.push.providersSecret }}
- name: PUSH_APNS_KEY
  valueFrom:
    secretKeyRef: { name: {{ . }}, key: apns-key, optional: true }
- name: PUSH_FCM_SERVICE_ACCOUNT
  valueFrom:
    secretKeyRef: { name: {{ . }}, key: fcm-service-account, optional: true }
- name: PUSH_WEBPUSH_VAPID_PRIVATE
  valueFrom:
    secretKeyRef: { name: {{ . }}, key: webpush-vapid-private, optional: true }
{{- end }}
{{- end -}}
