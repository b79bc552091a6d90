{{/* Pieces of networkpolicy.yaml. */}}
{{- define "tacit.np.dns" -}}
- ports:
    - { port: 53, protocol: UDP }
    - { port: 53, protocol: TCP }
{{- end -}}
{{- define "tacit.np.to" -}}
{{- /* (dict "root" $ "dep" "nats" "port" 4222 "external" (list 4222)) */ -}}
{{- if .root.Values.dev.enabled }}
- to:
    - podSelector:
        matchLabels:
          app.kubernetes.io/instance: {{ .root.Release.Name }}
          app.kubernetes.io/name: tacit-dev
          app.kubernetes.io/component: {{ .dep }}
  ports:
    - { port: {{ .port }}, protocol: TCP }
{{- else }}
- ports:
    {{- range .external }}
    - { port: {{ . }}, protocol: TCP }
    {{- end }}
{{- end }}
{{- end -}}
{{- define "tacit.np.otlp" -}}
{{- if .Values.tracing.otlpEndpoint }}
- ports:
    {{- range .Values.networkPolicy.egressPorts.otlp }}
    - { port: {{ . }}, protocol: TCP }
    {{- end }}
{{- end }}
{{- end -}}
{{- define "tacit.np.opsIngress" -}}
- ports:
    - { port: ops, protocol: TCP }
  {{- with .Values.networkPolicy.metricsFrom }}
  from:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- define "tacit.np.clientIngress" -}}
- ports:
    - { port: ws, protocol: TCP }
  {{- with .Values.networkPolicy.clientsFrom }}
  from:
    {{- toYaml . | nindent 4 }}
  {{- end }}
- ports:
    - { port: ws, protocol: TCP }
  from:
    - podSelector:
        matchLabels:
          {{- include "tacit.componentSelector" (dict "root" . "component" "test") | nindent 10 }}
{{- end -}}
{{- define "tacit.np.providers" -}}
- ports:
    {{- range .Values.networkPolicy.egressPorts.push }}
    - { port: {{ . }}, protocol: TCP }
    {{- end }}
{{- end -}}
