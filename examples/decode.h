/* SPDX-License-Identifier: MIT */
/*
 * A strictly defensive decoder for classic pcap files.
 *
 * Every byte it reads is hostile: each header length is checked against what is left before it
 * is used, extension-header walks are bounded, and the only buffer is one fixed record buffer
 * of PCAP_MAX_RECORD bytes, whatever sizes the file claims.
 *
 * The decoder never exits and never prints to stderr: problems become "truncated" or
 * "malformed" notes in the output and a return value for the caller.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Records whose captured length exceeds this are refused (tcpdump's own ceiling). */
#define PCAP_MAX_RECORD (256u * 1024u)

enum pcap_decode_result {
        PCAP_DECODE_OK = 0,          /* file header valid; records decoded (problems noted inline) */
        PCAP_DECODE_BAD_HEADER = 1,  /* not a classic pcap file, or its header is malformed */
        PCAP_DECODE_IO_ERROR = 2,    /* the reader failed (not end of file) */
        PCAP_DECODE_NO_MEMORY = 3,   /* the fixed record buffer could not be allocated */
};

/*
 * Reads up to len bytes into buf. Returns the number of bytes read (fewer than len only at end
 * of input), or -1 on error.
 */
typedef ssize_t (*pcap_read_fn)(void *ctx, uint8_t *buf, size_t len);

/*
 * Decodes a pcap stream pulled through read(ctx, ...), printing one line per packet and a
 * summary line to out. On PCAP_DECODE_BAD_HEADER, *why (if why is not NULL) points at a static
 * string naming the problem. ctx is borrowed; out is borrowed and not closed.
 */
int pcap_decode_stream(pcap_read_fn read, void *ctx, FILE *out, const char **why);

/*
 * The same over a memory buffer (the fuzz target's entry point). data is borrowed and is never
 * read past data[len - 1]. Returns a value of enum pcap_decode_result.
 */
int pcap_decode_buffer(const uint8_t *data, size_t len, FILE *out);
