/* SPDX-License-Identifier: MIT */
/*
 * The inline calls of vqchar.h once more as exported functions, for
 * programs that cannot inline them (other languages' bindings) and for
 * programs built against libvqchar 1.1, where they were library calls.
 */
#define VQCHAR_INLINE
#include <vqchar.h>
