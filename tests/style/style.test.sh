#!/usr/bin/env bash
# The docs/STYLE.md rules a compiler does not check: banned functions, one
# module per library, no assignment in a condition (tools/check-style.sh).
exec bash "${DS_SOURCE_DIR:?}/tools/check-style.sh"
