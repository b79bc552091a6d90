{{/*
The chart's own checks, for what the schema cannot say: an install that lacks what it needs stops
here with one message listing every problem, before anything reaches the cluster.
*/}}
{{- define "tacit.validate" -}}
{{- $errors := list -}}
{{- $v := .Values -}}
{{- if eq $v.mode "cluster" -}}
  {{- if not $v.dev.enabled -}}
    {{- if not $v.nats.url -}}
      {{- $errors = append $errors "no NATS configured: set nats.url (nats://host:4222), or dev.enabled=true for in-cluster development dependencies" -}}
    {{- end -}}
    {{- if and (not $v.postgresql.url) (not $v.postgresql.existingSecret) -}}
      {{- $errors = append $errors "no database configured: set postgresql.url or postgresql.existingSecret (the queue stores packets, the prekey service bundles and the directory entries in PostgreSQL), or dev.enabled=true, or mode=node for the embedded database" -}}
    {{- end -}}
    {{- if and $v.postgresql.url $v.postgresql.existingSecret -}}
      {{- $errors = append $errors "postgresql.url and postgresql.existingSecret are both set: keep one" -}}
    {{- end -}}
    {{- if and $v.postgresql.migrationUrl $v.postgresql.existingSecret -}}
      {{- $errors = append $errors "postgresql.migrationUrl goes with postgresql.url; with postgresql.existingSecret use postgresql.migrationExistingSecretKey" -}}
    {{- end -}}
    {{- if eq $v.redis.mode "standalone" -}}
      {{- if and (not $v.redis.url) (not $v.redis.existingSecret) -}}
        {{- $errors = append $errors "no Redis configured: set redis.url or redis.existingSecret (the gateway shares rate limits and dedup in Redis), or redis.mode=sentinel with its nodes, or dev.enabled=true" -}}
      {{- end -}}
    {{- else if eq $v.redis.mode "sentinel" -}}
      {{- if or (not $v.redis.sentinel.nodes) (not $v.redis.sentinel.masterName) -}}
        {{- $errors = append $errors "redis.mode=sentinel needs redis.sentinel.nodes and redis.sentinel.masterName" -}}
      {{- end -}}
    {{- else if eq $v.redis.mode "cluster" -}}
      {{- /* The gateway's pipelines touch many keys at once: on a Redis Cluster they would need hash-tagged keys. */ -}}
      {{- $errors = append $errors "redis.mode=cluster is not supported by the gateway yet; use standalone or sentinel" -}}
    {{- end -}}
    {{- if and $v.s3.enabled (not $v.s3.bucket) -}}
      {{- $errors = append $errors "s3.enabled needs s3.bucket" -}}
    {{- end -}}
    {{- if and $v.media.enabled (not $v.s3.enabled) -}}
      {{- $errors = append $errors "media.enabled needs s3.enabled with its bucket (the media service keeps blobs in S3), or media.enabled=false" -}}
    {{- end -}}
    {{- if and $v.media.enabled (ne $v.redis.mode "standalone") -}}
      {{- $errors = append $errors "media.enabled needs redis.mode=standalone (the media service reads REDIS_URL only), or media.enabled=false" -}}
    {{- end -}}
  {{- end -}}
  {{- if and $v.gateway.autoscaling.enabled (lt (int $v.gateway.autoscaling.maxReplicas) (int $v.gateway.autoscaling.minReplicas)) -}}
    {{- $errors = append $errors (printf "gateway.autoscaling.maxReplicas (%v) is below minReplicas (%v)" $v.gateway.autoscaling.maxReplicas $v.gateway.autoscaling.minReplicas) -}}
  {{- end -}}
  {{- if and $v.prekey.autoscaling.enabled (lt (int $v.prekey.autoscaling.maxReplicas) (int $v.prekey.autoscaling.minReplicas)) -}}
    {{- $errors = append $errors (printf "prekey.autoscaling.maxReplicas (%v) is below minReplicas (%v)" $v.prekey.autoscaling.maxReplicas $v.prekey.autoscaling.minReplicas) -}}
  {{- end -}}
  {{- if and $v.push.autoscaling.enabled (lt (int $v.push.autoscaling.maxReplicas) (int $v.push.autoscaling.minReplicas)) -}}
    {{- $errors = append $errors (printf "push.autoscaling.maxReplicas (%v) is below minReplicas (%v)" $v.push.autoscaling.maxReplicas $v.push.autoscaling.minReplicas) -}}
  {{- end -}}
  {{- if and $v.directory.autoscaling.enabled (lt (int $v.directory.autoscaling.maxReplicas) (int $v.directory.autoscaling.minReplicas)) -}}
    {{- $errors = append $errors (printf "directory.autoscaling.maxReplicas (%v) is below minReplicas (%v)" $v.directory.autoscaling.maxReplicas $v.directory.autoscaling.minReplicas) -}}
  {{- end -}}
{{- else -}}
  {{- if $v.dev.enabled -}}
    {{- $errors = append $errors "dev.enabled installs NATS, PostgreSQL and Redis for mode=cluster; mode=node needs none (its database is embedded)" -}}
  {{- end -}}
{{- end -}}
{{- if and $v.metrics.serviceMonitor.enabled (not (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1/ServiceMonitor")) -}}
  {{- $errors = append $errors "metrics.serviceMonitor.enabled needs the Prometheus Operator's ServiceMonitor CRD (monitoring.coreos.com/v1), which this cluster does not serve" -}}
{{- end -}}
{{- if and $v.ingress.enabled (not $v.ingress.hosts) -}}
  {{- $errors = append $errors "ingress.enabled needs ingress.hosts ([{host: relay.example.com}])" -}}
{{- end -}}
{{- if $errors -}}
{{- fail (printf "\n\ntacit: this release cannot be installed as configured:\n  - %s\n\nSee charts/tacit/README.md (Parameters) and docs/deploy.md.\n" (join "\n  - " $errors)) -}}
{{- end -}}
{{- end -}}
