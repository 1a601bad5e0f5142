{{/* The chart name, shortened to Kubernetes' 63-character limit. */}}
{{- define "mlflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects: the release name when it already
contains the chart name, else "<release>-<chart>".
*/}}
{{- define "mlflow.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "mlflow.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mlflow.labels" -}}
helm.sh/chart: {{ include "mlflow.chart" . }}
{{ include "mlflow.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "mlflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mlflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The Secret that holds the S3 keys: an existing one, or the chart's own. */}}
{{- define "mlflow.s3SecretName" -}}
{{- if .Values.artifacts.s3.existingSecret }}
{{- .Values.artifacts.s3.existingSecret }}
{{- else }}
{{- printf "%s-s3" (include "mlflow.fullname" .) }}
{{- end }}
{{- end }}

{{- define "mlflow.s3AccessKeyField" -}}
{{- if .Values.artifacts.s3.existingSecret }}{{ .Values.artifacts.s3.accessKeyField }}{{ else }}access-key{{ end }}
{{- end }}

{{- define "mlflow.s3SecretKeyField" -}}
{{- if .Values.artifacts.s3.existingSecret }}{{ .Values.artifacts.s3.secretKeyField }}{{ else }}secret-key{{ end }}
{{- end }}

{{- define "mlflow.backendStoreUri" -}}
{{- default "sqlite:////mlflow/data/mlflow.db" .Values.backendStoreUri }}
{{- end }}
