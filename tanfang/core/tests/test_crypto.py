"""Tests for SM4-GCM field encryption, key rotation and SM3 blind indexes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.core.signals import setting_changed

from tanfang.core import crypto
from tanfang.core.crypto import CryptoConfigError, DecryptionError, FieldCipher, parse_keys

KEY_1 = bytes(range(16))  # 000102...0f
KEY_2 = bytes(range(100, 116))
INDEX_KEY = bytes(range(16, 48))  # 101112...2f
OTHER_INDEX_KEY = bytes(range(200, 232))

CONTEXT = "elders.id_number"
PERSONAL_VALUE = "张三 11010519491231002X"

# Made once by `FieldCipher({"k1": KEY_1}, "k1", INDEX_KEY).encrypt(PERSONAL_VALUE, context=CONTEXT)`.
# It must keep decrypting: every stored value depends on the token layout staying the same.
STORED_TOKEN = bytes.fromhex(
    "026b31ce4625dfeb2af6afb95c4742426846cfa9c0505b4c2f6bb20cf512640274014496f0a89617463a09114435ae6a7129c76345a5630f"
)
# HMAC-SM3 of "elders.id_number\x0011010519491231002X" under INDEX_KEY; also checked
# against OpenSSL through hashlib when the tests were written.
STANDARD_SAMPLE_INDEX = "d24a36c2d1b6c83bc7feb6c66e993aefd8c501cf345ac15ff21da3a511dae59d"


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher({"k1": KEY_1}, "k1", INDEX_KEY)


@pytest.fixture
def rotated() -> FieldCipher:
    """Build the cipher after a rotation: k2 is current, k1 still decrypts old values."""
    return FieldCipher({"k2": KEY_2, "k1": KEY_1}, "k2", INDEX_KEY)


# --- encryption ----------------------------------------------------------------------


@pytest.mark.parametrize("plaintext", [PERSONAL_VALUE, "", "河南省西平县 五保老人", "a" * 10_000, "😀"])
def test_encrypt_then_decrypt_gives_back_the_value(cipher: FieldCipher, plaintext: str) -> None:
    # given a value, including Chinese text and the empty string
    # when it is encrypted and decrypted in the same context
    token = cipher.encrypt(plaintext, context=CONTEXT)

    # then the same value comes back
    assert cipher.decrypt(token, context=CONTEXT) == plaintext


def test_token_layout(cipher: FieldCipher) -> None:
    # given a value of 25 UTF-8 bytes: two 3-byte characters, a space, 18 digits
    plaintext = PERSONAL_VALUE
    assert len(plaintext.encode("utf-8")) == 25

    # when it is encrypted
    token = cipher.encrypt(plaintext, context=CONTEXT)

    # then the token is id length, id, 12-byte nonce, 25 bytes ciphertext, 16-byte tag
    assert token[0] == 2
    assert token[1:3] == b"k1"
    assert len(token) == 1 + 2 + 12 + 25 + 16 == len(STORED_TOKEN)
    assert plaintext.encode("utf-8") not in token


def test_stored_token_still_decrypts(cipher: FieldCipher) -> None:
    # given a token made with an earlier build
    # when it is decrypted today
    # then it gives the original value
    assert cipher.decrypt(STORED_TOKEN, context=CONTEXT) == PERSONAL_VALUE


def test_memoryview_tokens_decrypt(cipher: FieldCipher) -> None:
    # given a token as some database drivers return bytea columns
    token = memoryview(cipher.encrypt(PERSONAL_VALUE, context=CONTEXT))

    # when it is decrypted
    # then it works like bytes
    assert cipher.decrypt(token, context=CONTEXT) == PERSONAL_VALUE
    assert FieldCipher.key_id_of(token) == "k1"


def test_same_value_encrypts_differently_each_time(cipher: FieldCipher) -> None:
    # given one value
    # when it is encrypted twice
    first = cipher.encrypt(PERSONAL_VALUE, context=CONTEXT)
    second = cipher.encrypt(PERSONAL_VALUE, context=CONTEXT)

    # then the random nonces make the tokens differ, and both decrypt
    assert first != second
    assert first[3:15] != second[3:15]
    assert cipher.decrypt(first, context=CONTEXT) == cipher.decrypt(second, context=CONTEXT) == PERSONAL_VALUE


def test_token_from_another_field_does_not_decrypt(cipher: FieldCipher) -> None:
    # given a value encrypted for the ID number field
    token = cipher.encrypt(PERSONAL_VALUE, context=CONTEXT)

    # when it is decrypted as if it were the phone field
    # then it fails without revealing the value
    with pytest.raises(DecryptionError) as caught:
        cipher.decrypt(token, context="elders.phone")
    assert "张三" not in str(caught.value)
    assert "11010519491231002X" not in str(caught.value)


@pytest.mark.parametrize("position", [0, 1, 3, 14, 15, 20, -17, -1])
def test_any_changed_byte_fails(cipher: FieldCipher, position: int) -> None:
    # given a token with one byte flipped: header, nonce, ciphertext or tag
    token = bytearray(cipher.encrypt(PERSONAL_VALUE, context=CONTEXT))
    token[position] ^= 0x01

    # when it is decrypted
    # then it is refused without revealing the value
    with pytest.raises(DecryptionError) as caught:
        cipher.decrypt(bytes(token), context=CONTEXT)
    assert "张三" not in str(caught.value)


def test_tampered_ciphertext_message(cipher: FieldCipher) -> None:
    # given a token with its first ciphertext byte flipped
    token = bytearray(cipher.encrypt(PERSONAL_VALUE, context=CONTEXT))
    token[15] ^= 0x80

    # when it is decrypted
    # then the message says it was changed or belongs elsewhere
    with pytest.raises(DecryptionError, match=r"^密文校验失败：密文被改动，或用于其他字段$"):
        cipher.decrypt(bytes(token), context=CONTEXT)


def test_unknown_key_id_fails(rotated: FieldCipher) -> None:
    # given a token made under a key this cipher does not have
    token = rotated.encrypt(PERSONAL_VALUE, context=CONTEXT)
    old_only = FieldCipher({"k1": KEY_1}, "k1", INDEX_KEY)

    # when it is decrypted
    # then the key id is named
    with pytest.raises(DecryptionError, match=r"^未知的密钥标识 k2$"):
        old_only.decrypt(token, context=CONTEXT)


def test_token_with_changed_key_id_fails_even_if_that_key_exists(rotated: FieldCipher) -> None:
    # given keys k1 and k2, and a k1 token relabelled as if made under k2
    token = FieldCipher({"k1": KEY_1}, "k1", INDEX_KEY).encrypt(PERSONAL_VALUE, context=CONTEXT)
    relabelled = token[:1] + b"k2" + token[3:]

    # when it is decrypted
    # then it fails
    with pytest.raises(DecryptionError):
        rotated.decrypt(relabelled, context=CONTEXT)


@pytest.mark.parametrize(
    "token",
    [b"", b"\x00", b"\x02k1" + bytes(27), b"\x11" + b"a" * 17 + bytes(28), b"\x02k-" + bytes(28)],
)
def test_malformed_tokens_fail(cipher: FieldCipher, token: bytes) -> None:
    # given an empty, truncated or badly labelled token
    # when it is decrypted
    # then it is refused as malformed rather than crashing
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context=CONTEXT)


@pytest.mark.parametrize("context", ["", "elders\x00id"])
def test_empty_or_nul_context_is_refused(cipher: FieldCipher, context: str) -> None:
    # given a context that would bind nothing, or could collide
    # when it is used
    # then it is refused for every operation
    with pytest.raises(ValueError, match="context"):
        cipher.encrypt(PERSONAL_VALUE, context=context)
    with pytest.raises(ValueError, match="context"):
        cipher.blind_index(PERSONAL_VALUE, context=context)


# --- rotation ------------------------------------------------------------------------


def test_rotation(cipher: FieldCipher, rotated: FieldCipher) -> None:
    # given a value encrypted before rotation, under k1
    old_token = cipher.encrypt(PERSONAL_VALUE, context=CONTEXT)

    # when the keys are rotated so that k2 is current
    # then the old token still decrypts and is due for rotation
    assert rotated.decrypt(old_token, context=CONTEXT) == PERSONAL_VALUE
    assert rotated.needs_rotation(old_token)

    # and when it is rotated
    new_token = rotated.rotate(old_token, context=CONTEXT)

    # then it is under k2, decrypts to the same value and is no longer due
    assert FieldCipher.key_id_of(new_token) == "k2"
    assert rotated.decrypt(new_token, context=CONTEXT) == PERSONAL_VALUE
    assert not rotated.needs_rotation(new_token)
    assert rotated.current_key_id == "k2"


def test_rotating_a_current_token_returns_it_unchanged(rotated: FieldCipher) -> None:
    # given a token already under the current key
    token = rotated.encrypt(PERSONAL_VALUE, context=CONTEXT)

    # when it is rotated
    # then the very same bytes come back, so no row needs rewriting
    assert rotated.rotate(token, context=CONTEXT) == token


def test_rotation_checks_the_context(cipher: FieldCipher, rotated: FieldCipher) -> None:
    # given an old token
    old_token = cipher.encrypt(PERSONAL_VALUE, context=CONTEXT)

    # when it is rotated under the wrong context
    # then it fails instead of re-encrypting
    with pytest.raises(DecryptionError):
        rotated.rotate(old_token, context="elders.phone")


def test_key_id_of_reads_the_header() -> None:
    # given a hand-made token header
    token = b"\x05demo1" + bytes(28)

    # when its key id is read
    # then no key is needed
    assert FieldCipher.key_id_of(token) == "demo1"


# --- blind index ---------------------------------------------------------------------


def test_blind_index_exact_value(cipher: FieldCipher) -> None:
    # given the standard sample number
    # when its blind index is computed
    # then it is the HMAC-SM3 written down when the tests were made
    assert cipher.blind_index("11010519491231002X", context=CONTEXT) == STANDARD_SAMPLE_INDEX


def test_blind_index_is_deterministic_64_hex(cipher: FieldCipher) -> None:
    # given one value
    # when it is indexed twice, also by another cipher with the same index key
    first = cipher.blind_index(PERSONAL_VALUE, context=CONTEXT)
    second = cipher.blind_index(PERSONAL_VALUE, context=CONTEXT)
    other_cipher = FieldCipher({"x": KEY_2}, "x", INDEX_KEY).blind_index(PERSONAL_VALUE, context=CONTEXT)

    # then the index is the same 64 lower-case hex characters each time
    assert first == second == other_cipher
    assert re.fullmatch(r"[0-9a-f]{64}", first)


def test_blind_index_differs_by_context_and_key(cipher: FieldCipher) -> None:
    # given one value
    value = "13812345678"

    # when it is indexed for two fields, and under another index key
    as_phone = cipher.blind_index(value, context="elders.phone")
    as_guardian = cipher.blind_index(value, context="elders.guardian_phone")
    other_key = FieldCipher({"k1": KEY_1}, "k1", OTHER_INDEX_KEY).blind_index(value, context="elders.phone")

    # then all three differ
    assert len({as_phone, as_guardian, other_key}) == 3


def test_blind_index_differs_by_value(cipher: FieldCipher) -> None:
    # given two spellings of the sample: callers must normalize first
    # when both are indexed
    # then they differ
    assert cipher.blind_index("11010519491231002X", context=CONTEXT) != cipher.blind_index(
        "11010519491231002x", context=CONTEXT
    )


# --- configuration -------------------------------------------------------------------


def test_parse_keys_takes_the_first_as_current() -> None:
    # given two keys, k2 first
    spec = "k2:" + KEY_2.hex() + ", k1:" + KEY_1.hex().upper()

    # when the spec is parsed
    keys, current = parse_keys(spec)

    # then both are read, upper-case hex too, and k2 is current
    assert keys == {"k2": KEY_2, "k1": KEY_1}
    assert current == "k2"


def test_parse_keys_reads_the_demo_setting() -> None:
    # given the demo default from config/settings.py
    # when it is parsed
    keys, current = parse_keys("demo1:000102030405060708090a0b0c0d0e0f")

    # then it is one 16-byte key
    assert keys == {"demo1": KEY_1}
    assert current == "demo1"


BAD_HEX = "0f" * 15 + "zz"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "密钥配置为空"),
        (" , ", "密钥配置为空"),
        ("k1" + KEY_1.hex(), "密钥配置第1项应为 密钥标识:32位十六进制密钥"),
        (KEY_1.hex() + ":k1", "密钥配置第1项的密钥标识应为1到16位英文字母或数字"),
        ("k1:" + KEY_1.hex() + ",k-2:" + KEY_2.hex(), "密钥配置第2项的密钥标识应为1到16位英文字母或数字"),
        ("a" * 17 + ":" + KEY_1.hex(), "密钥配置第1项的密钥标识应为1到16位英文字母或数字"),
        ("k1:" + KEY_1.hex() + ",k1:" + KEY_2.hex(), "密钥配置第2项的密钥标识 k1 重复"),
        ("k1:" + KEY_1.hex()[:-2], "密钥配置第1项（k1）的密钥应为32位十六进制"),
        ("k1:" + KEY_1.hex() + "00", "密钥配置第1项（k1）的密钥应为32位十六进制"),
        ("k1:" + BAD_HEX, "密钥配置第1项（k1）的密钥应为32位十六进制"),
        ("k1:" + KEY_1.hex() + ",", "密钥配置第2项应为 密钥标识:32位十六进制密钥"),
    ],
)
def test_parse_keys_rejects_bad_specs_without_echoing_keys(spec: str, message: str) -> None:
    # given a malformed spec
    # when it is parsed
    with pytest.raises(CryptoConfigError) as caught:
        parse_keys(spec)

    # then the message names the entry but never the key material
    assert str(caught.value).startswith(message)
    for secret in (KEY_1.hex(), KEY_2.hex(), KEY_1.hex()[:-2], BAD_HEX):
        assert secret not in str(caught.value).lower()


@pytest.mark.parametrize(
    ("keys", "current", "index_key", "message"),
    [
        ({}, "k1", INDEX_KEY, "至少需要一个加密密钥"),
        ({"k1": KEY_1[:15]}, "k1", INDEX_KEY, "密钥 k1 应为16字节"),
        ({"k1": KEY_1 + b"\x00"}, "k1", INDEX_KEY, "密钥 k1 应为16字节"),
        ({"k1": KEY_1.hex()}, "k1", INDEX_KEY, "密钥 k1 应为16字节"),
        ({"": KEY_1}, "", INDEX_KEY, "密钥标识应为1到16位英文字母或数字"),
        ({"密钥": KEY_1}, "密钥", INDEX_KEY, "密钥标识应为1到16位英文字母或数字"),
        ({"k" * 17: KEY_1}, "k" * 17, INDEX_KEY, "密钥标识应为1到16位英文字母或数字"),
        ({"k1": KEY_1}, "k2", INDEX_KEY, "当前密钥标识不在密钥列表中"),
        ({"k1": KEY_1}, "k1", INDEX_KEY[:15], "盲索引密钥至少应为16字节"),
        ({"k1": KEY_1}, "k1", KEY_1, "盲索引密钥不能与加密密钥相同"),
    ],
)
def test_field_cipher_rejects_bad_keys(keys: dict[str, bytes], current: str, index_key: bytes, message: str) -> None:
    # given keys of the wrong length, type or name, or a missing current key
    # when a cipher is built
    # then it refuses with a message naming the problem
    with pytest.raises(CryptoConfigError, match=f"^{message}$"):
        FieldCipher(keys, current, index_key)


# --- field_cipher() from settings ----------------------------------------------------


@pytest.fixture
def fake_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    """Stand in for django.conf.settings, so these tests need no configured project."""
    fake = SimpleNamespace(
        TANFANG_FIELD_KEYS="k2:" + KEY_2.hex() + ",k1:" + KEY_1.hex(),
        TANFANG_BLIND_INDEX_KEY=INDEX_KEY.hex(),
    )
    monkeypatch.setattr(crypto, "settings", fake)
    crypto.field_cipher.cache_clear()
    yield fake
    crypto.field_cipher.cache_clear()


def test_field_cipher_is_built_once_from_settings(fake_settings: SimpleNamespace) -> None:
    # given keys in settings
    # when the cipher is asked for twice
    first = crypto.field_cipher()
    second = crypto.field_cipher()

    # then it is one object using the first key as current and the index key
    assert first is second
    assert first.current_key_id == "k2"
    assert first.blind_index("11010519491231002X", context=CONTEXT) == STANDARD_SAMPLE_INDEX
    assert first.decrypt(STORED_TOKEN, context=CONTEXT) == PERSONAL_VALUE


def test_field_cipher_setting_changes_clear_the_cache(fake_settings: SimpleNamespace) -> None:
    # given a built cipher
    before = crypto.field_cipher()

    # when override_settings reports a key change
    fake_settings.TANFANG_FIELD_KEYS = "k3:" + KEY_2.hex()
    setting_changed.send(sender=None, setting="TANFANG_FIELD_KEYS", value=None, enter=True)

    # then the next cipher uses the new keys
    assert crypto.field_cipher() is not before
    assert crypto.field_cipher().current_key_id == "k3"


def test_field_cipher_ignores_other_setting_changes(fake_settings: SimpleNamespace) -> None:
    # given a built cipher
    before = crypto.field_cipher()

    # when an unrelated setting changes
    setting_changed.send(sender=None, setting="DEBUG", value=True, enter=True)

    # then the cached cipher stays
    assert crypto.field_cipher() is before


BAD_INDEX_KEY = "TANFANG_BLIND_INDEX_KEY 应为至少32位、偶数位的十六进制"


@pytest.mark.parametrize(
    ("field_keys", "index_key", "message"),
    [
        ("", INDEX_KEY.hex(), "未配置 TANFANG_FIELD_KEYS"),
        ("k1:" + KEY_1.hex(), "", "未配置 TANFANG_BLIND_INDEX_KEY"),
        ("k1:" + KEY_1.hex(), INDEX_KEY.hex()[:30], BAD_INDEX_KEY),
        ("k1:" + KEY_1.hex(), INDEX_KEY.hex() + "0", BAD_INDEX_KEY),
        ("k1:" + KEY_1.hex(), "zz" * 16, BAD_INDEX_KEY),
        ("k1:" + KEY_1.hex(), KEY_1.hex(), "盲索引密钥不能与加密密钥相同"),
    ],
)
def test_field_cipher_reports_bad_settings(
    fake_settings: SimpleNamespace, field_keys: str, index_key: str, message: str
) -> None:
    # given missing or malformed settings
    fake_settings.TANFANG_FIELD_KEYS = field_keys
    fake_settings.TANFANG_BLIND_INDEX_KEY = index_key

    # when the cipher is built
    # then the problem is named without the key
    with pytest.raises(CryptoConfigError, match=f"^{message}$") as caught:
        crypto.field_cipher()
    assert INDEX_KEY.hex()[:30] not in str(caught.value)


def test_field_cipher_treats_missing_settings_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # given settings without the key entries at all
    monkeypatch.setattr(crypto, "settings", SimpleNamespace())
    crypto.field_cipher.cache_clear()

    # when the cipher is built
    # then the missing setting is named
    try:
        with pytest.raises(CryptoConfigError, match=r"^未配置 TANFANG_FIELD_KEYS$"):
            crypto.field_cipher()
    finally:
        crypto.field_cipher.cache_clear()
