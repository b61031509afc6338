#!/usr/bin/env bash
# Placeholder replaced by the operations work (issue 10); kept honest: it does nothing yet.
echo "prod-check: not implemented yet"
