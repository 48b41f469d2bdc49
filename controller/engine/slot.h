/* engine/slot: Valkey cluster key -> hash slot (CRC16-CCITT/XMODEM mod 16384, with
 * hash tags: when the key holds a '{' followed later by a '}' with at least one byte
 * between them, only those bytes are hashed). */
#ifndef VB_ENGINE_SLOT_H
#define VB_ENGINE_SLOT_H

#include <stddef.h>
#include <stdint.h>

#define CLUSTER_SLOTS 16384

uint16_t crc16_xmodem(const void *buf, size_t len);
unsigned key_hash_slot(const char *key, size_t len);

#endif
