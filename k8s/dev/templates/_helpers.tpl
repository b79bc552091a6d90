{{/* charts/tacit computes the same names (tacit.devHost). */}}
{{- define "dev.name" -}}
{{- printf "%s-dev-%s" .root.Release.Name .dep | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "dev.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/name: tacit-dev
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .dep }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: tacit
{{- end -}}

{{- define "dev.selector" -}}
app.kubernetes.io/name: tacit-dev
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .dep }}
{{- end -}}

{{- define "dev.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.prefix .image (default .root.Chart.AppVersion .root.Values.image.tag) -}}
{{- end -}}

{{/* One dependency: Deployment (emptyDir data), Service, NetworkPolicy. Arguments in a dict:
root, dep, image, port, container (extra container fields), from (components that may connect). */}}
{{- define "dev.dependency" -}}
{{- $sel := include "dev.selector" . }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "dev.name" . }}
  labels:
    {{- include "dev.labels" . | nindent 4 }}
spec:
  replicas: 1
  strategy: { type: Recreate }
  selector:
    matchLabels:
      {{- $sel | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "dev.labels" . | nindent 8 }}
      annotations:
        checksum/secret: {{ include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum }}
    spec:
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        runAsGroup: 10001
        fsGroup: 10001
        seccompProfile: { type: RuntimeDefault }
      containers:
        - name: {{ .dep }}
          image: {{ include "dev.image" . }}
          imagePullPolicy: {{ .root.Values.image.pullPolicy }}
          ports:
            - { name: main, containerPort: {{ .port }}, protocol: TCP }
          {{- .container | nindent 10 }}
          readinessProbe:
            tcpSocket: { port: main }
            periodSeconds: 2
          livenessProbe:
            tcpSocket: { port: main }
            periodSeconds: 10
            failureThreshold: 6
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL] }
          volumeMounts:
            - { name: data, mountPath: /data }
            - { name: tmp, mountPath: /tmp }
      volumes:
        - { name: data, emptyDir: {} }
        - { name: tmp, emptyDir: {} }
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "dev.name" . }}
  labels:
    {{- include "dev.labels" . | nindent 4 }}
spec:
  selector:
    {{- $sel | nindent 4 }}
  ports:
    - { name: main, port: {{ .port }}, targetPort: main, protocol: TCP }
---
# Only the release's own services reach it; it reaches nothing.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "dev.name" . }}
  labels:
    {{- include "dev.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- $sel | nindent 6 }}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - podSelector:
            matchExpressions:
              - { key: app.kubernetes.io/instance, operator: In, values: [{{ .root.Release.Name | quote }}] }
              - { key: app.kubernetes.io/component, operator: In, values: {{ toJson .from }} }
      ports:
        - { port: {{ .port }}, protocol: TCP }
  egress: []
{{- end -}}
