/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the pcap decoder of examples/ (pcap_decode_buffer). Built with
 * -fsanitize=fuzzer under clang, or linked with replay.c to replay a corpus anywhere.
 *
 * The decoder's text goes to /dev/null so the formatting code runs too, not only the parsing:
 * a bad length that reaches a printf is as much a bug as one that reaches a memcpy.
 */
#include "fuzz-target.h"

#include <stdio.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static FILE *sink;

        if (!sink) {
                sink = fopen("/dev/null", "we");
                if (!sink)
                        return 0;
        }
        (void) pcap_decode_buffer(data, size, sink);
        fflush(sink);
        return 0;
}
