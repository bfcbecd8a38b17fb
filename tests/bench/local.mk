# SPDX-License-Identifier: MIT
# Included from Makefile.am. (placeholder)
