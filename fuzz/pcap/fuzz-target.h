/* SPDX-License-Identifier: MIT */
/* The libFuzzer entry point, shared by the fuzz target and its standalone replay main. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
