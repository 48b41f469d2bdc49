/* Unit tests for engine/slot: CRC16/XMODEM and key -> slot against known vectors,
 * and the hash-tag rules Valkey's cluster specification gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "engine/slot.h"

static unsigned slot_of(const char *key) { return key_hash_slot(key, strlen(key)); }

/* Bit-at-a-time CRC16/XMODEM, straight from the definition, to check the table. */
static uint16_t crc16_bitwise(const unsigned char *p, size_t len) {
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++) crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

static void test_crc16_known_vectors(void **state) {
    (void)state;
    assert_int_equal(crc16_xmodem("123456789", 9), 0x31C3); /* the XMODEM check value */
    assert_int_equal(crc16_xmodem("", 0), 0);
    assert_int_equal(crc16_xmodem("A", 1), 0x58E5);
}

static void test_crc16_matches_definition(void **state) {
    (void)state;
    unsigned char buf[300] = {0}; /* len 0 passes buf unread; aarch64 gcc warns otherwise */
    uint32_t x = 12345;
    for (size_t len = 0; len < sizeof buf; len++) {
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (unsigned char)(x >> 16);
        }
        assert_int_equal(crc16_xmodem(buf, len), crc16_bitwise(buf, len));
    }
}

static void test_known_slots(void **state) {
    (void)state;
    /* Values as returned by CLUSTER KEYSLOT on a real server. */
    assert_int_equal(slot_of("foo"), 12182);
    assert_int_equal(slot_of("bar"), 5061);
    assert_int_equal(slot_of("hello"), 866);
    assert_int_equal(slot_of("{user1000}.following"), 3443);
    assert_int_equal(slot_of("foo{}{bar}"), 8363);
    assert_int_equal(slot_of("foo{{bar}}zap"), 4015);
    assert_int_equal(slot_of("{}"), 15257);
    assert_int_equal(slot_of("A"), 6373);
    assert_int_equal(slot_of("key:000000000042"), key_hash_slot("key:000000000042", 16));
    assert_int_equal(slot_of(""), 0);
}

static void test_hash_tags(void **state) {
    (void)state;
    assert_int_equal(slot_of("{user1000}.following"), slot_of("{user1000}.followers"));
    assert_int_equal(slot_of("{user1000}.following"), slot_of("user1000"));
    /* Empty first tag: the whole key is hashed, the later "{bar}" is ignored. */
    assert_int_equal(slot_of("foo{}{bar}"), crc16_xmodem("foo{}{bar}", 10) & 16383);
    assert_int_not_equal(slot_of("foo{}{bar}"), slot_of("bar"));
    /* The tag runs from the first '{' to the first '}' after it. */
    assert_int_equal(slot_of("foo{{bar}}zap"), slot_of("{bar"));
    assert_int_equal(slot_of("foo{bar}{zap}"), slot_of("bar"));
    assert_int_equal(slot_of("{}"), crc16_xmodem("{}", 2) & 16383);
    assert_int_equal(slot_of("{"), crc16_xmodem("{", 1) & 16383);
    assert_int_equal(slot_of("}{"), crc16_xmodem("}{", 2) & 16383);
    assert_int_equal(slot_of("a{b"), crc16_xmodem("a{b", 3) & 16383);
    assert_int_equal(slot_of("{a}"), slot_of("a"));
    /* The length is honoured: bytes after len (and embedded NULs) are the caller's. */
    assert_int_equal(key_hash_slot("foo{bar}", 3), slot_of("foo"));
    assert_int_equal(key_hash_slot("{a\0b}", 5), crc16_xmodem("a\0b", 3) & 16383);
}

static void test_slots_in_range(void **state) {
    (void)state;
    char key[32];
    unsigned seen_high = 0;
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(key, sizeof key, "key:%d", i);
        unsigned s = key_hash_slot(key, (size_t)n);
        assert_true(s < CLUSTER_SLOTS);
        if (s >= CLUSTER_SLOTS / 2) seen_high++;
    }
    assert_true(seen_high > 40000 && seen_high < 60000); /* spread over both halves */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc16_known_vectors),
        cmocka_unit_test(test_crc16_matches_definition),
        cmocka_unit_test(test_known_slots),
        cmocka_unit_test(test_hash_tags),
        cmocka_unit_test(test_slots_in_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
