/* SPDX-License-Identifier: MIT */
/*
 * textsafe.h - the characters never shown raw to a reader: by shmbrokerctl's output and by the
 * daemon's policy diagnostics, which both show text that others chose (object names, policy
 * values) on a terminal or in the journal.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * C0, DEL and C1 (U+0080..U+009F) are controls: a terminal acts on them, in UTF-8 too (xterm
 * takes U+009B as CSI, U+009D as OSC). The rest are invisible and change how the text around
 * them is laid out rather than what it says, so a name holding one can pass for another name:
 * the explicit bidi controls (LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI: "txt.exe" behind
 * an RLO shows as "exe.txt"), the implicit marks (ALM, LRM, RLM, which reorder the punctuation
 * next to them), and the line and paragraph separators, which some terminals and viewers break
 * lines at. Other look-alikes (U+200B, homoglyphs) are left to the reader: they change no
 * layout.
 */
static inline bool text_char_unsafe(uint32_t cp)
{
        return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
               cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}
