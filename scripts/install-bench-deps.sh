#!/usr/bin/env bash
# The benchmark's peers (rclone, s3cmd, the AWS CLI, gnuplot, GNU time): see install-deps.sh.
exec bash "$(dirname "$0")/install-deps.sh" bench
