#!/usr/bin/env bash
# STYLE.md rules a compiler does not check: banned functions, library boundaries.
exec bash "${DS_SOURCE_DIR:?}/tools/check-style.sh"
