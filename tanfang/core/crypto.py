"""Encrypt personal data in database fields with the Chinese national algorithms (国密).

Values are encrypted with SM4-GCM. A token is laid out as::

    1 byte len(key_id) | key_id (ASCII) | 12-byte random nonce | ciphertext | 16-byte tag

The key id lets old keys keep decrypting after a new key becomes current, so keys
can be rotated row by row. The token header and a caller-chosen context such as
"elders.id_number" are authenticated as associated data: a token copied into another
field, or given another key id, fails to decrypt.

Encrypted values cannot be searched, so a field that must be looked up exactly also
stores a blind index: a keyed SM3 HMAC of the normalized value under a separate key.

Nonces are random; with 96-bit nonces one key should encrypt no more than about
2**32 values, far more than Tanfang writes before a key is rotated.
"""

from __future__ import annotations

import functools
import hmac as std_hmac
import os
import re
from typing import TypeAlias

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.signals import setting_changed


def _openssl_has_sm3() -> bool:
    try:
        std_hmac.digest(b"k", b"", "sm3")
    except ValueError:
        return False
    return True


_OPENSSL_SM3 = _openssl_has_sm3()

SM4_KEY_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
MIN_INDEX_KEY_BYTES = 16

_KEY_ID = re.compile(r"[A-Za-z0-9]{1,16}")
_KEY_HEX = re.compile(r"[0-9a-fA-F]{32}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")

# Django model fields hand back bytea as memoryview on some drivers.
Token: TypeAlias = bytes | bytearray | memoryview


class CryptoConfigError(RuntimeError):
    """Say what is wrong with the configured keys, never showing key material."""


class DecryptionError(ValueError):
    """Say a token cannot be decrypted, never showing what it holds."""


def _check_context(context: str) -> bytes:
    # Contexts are code constants; an empty one would bind nothing, and a NUL would
    # make "a\x00b" + "c" and "a" + "b\x00c" collide in the blind index.
    if not context or "\x00" in context:
        raise ValueError("context must be a non-empty string without NUL characters")
    return context.encode("utf-8")


def _split_token(token: Token) -> tuple[str, bytes, bytes, bytes, bytes]:
    """Split a token into key id, header, nonce, ciphertext and tag."""
    data = bytes(token)
    if not data:
        raise DecryptionError("密文为空")
    id_length = data[0]
    header_length = 1 + id_length
    if not 1 <= id_length <= 16 or len(data) < header_length + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("密文格式无效")
    try:
        key_id = data[1:header_length].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("密文格式无效") from None
    if _KEY_ID.fullmatch(key_id) is None:
        raise DecryptionError("密文格式无效")
    nonce_end = header_length + NONCE_BYTES
    return (
        key_id,
        data[:header_length],
        data[header_length:nonce_end],
        data[nonce_end:-TAG_BYTES],
        data[-TAG_BYTES:],
    )


class FieldCipher:
    """Encrypt and decrypt field values, and compute blind indexes for exact lookups."""

    def __init__(self, keys: dict[str, bytes], current_key_id: str, index_key: bytes) -> None:
        if not keys:
            raise CryptoConfigError("至少需要一个加密密钥")
        for key_id, key in keys.items():
            if not isinstance(key_id, str) or _KEY_ID.fullmatch(key_id) is None:
                raise CryptoConfigError("密钥标识应为1到16位英文字母或数字")
            if not isinstance(key, bytes) or len(key) != SM4_KEY_BYTES:
                raise CryptoConfigError(f"密钥 {key_id} 应为{SM4_KEY_BYTES}字节")
        if current_key_id not in keys:
            raise CryptoConfigError("当前密钥标识不在密钥列表中")
        if not isinstance(index_key, bytes) or len(index_key) < MIN_INDEX_KEY_BYTES:
            raise CryptoConfigError(f"盲索引密钥至少应为{MIN_INDEX_KEY_BYTES}字节")
        # One key, one purpose: a key shared with the HMAC would weaken both uses.
        if index_key in keys.values():
            raise CryptoConfigError("盲索引密钥不能与加密密钥相同")
        self._keys = dict(keys)
        self._algorithms = {key_id: algorithms.SM4(key) for key_id, key in keys.items()}
        self._current_key_id = current_key_id
        self._index_key = index_key

    @property
    def current_key_id(self) -> str:
        return self._current_key_id

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        """Encrypt a value under the current key, bound to `context`."""
        associated = _check_context(context)
        key_id = self._current_key_id
        header = bytes([len(key_id)]) + key_id.encode("ascii")
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(self._algorithms[key_id], modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(header + associated)
        ciphertext = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
        return header + nonce + ciphertext + encryptor.tag

    def decrypt(self, token: Token, *, context: str) -> str:
        """Decrypt a token made by `encrypt` with the same context."""
        associated = _check_context(context)
        key_id, header, nonce, ciphertext, tag = _split_token(token)
        key = self._keys.get(key_id)
        if key is None:
            raise DecryptionError(f"未知的密钥标识 {key_id}")
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(header + associated)
        try:
            plaintext = decryptor.update(ciphertext) + decryptor.finalize()
        except InvalidTag:
            raise DecryptionError("密文校验失败：密文被改动，或用于其他字段") from None
        return plaintext.decode("utf-8")

    @staticmethod
    def key_id_of(token: Token) -> str:
        """Return the id of the key a token was encrypted with."""
        return _split_token(token)[0]

    def needs_rotation(self, token: Token) -> bool:
        """Say whether a token was encrypted with a key other than the current one."""
        return self.key_id_of(token) != self._current_key_id

    def rotate(self, token: Token, *, context: str) -> bytes:
        """Re-encrypt a token under the current key; return it unchanged if already current."""
        if not self.needs_rotation(token):
            return bytes(token)
        return self.encrypt(self.decrypt(token, context=context), context=context)

    def blind_index(self, value: str, *, context: str) -> str:
        """Return the hex HMAC-SM3 of the value, for exact lookups of encrypted fields.

        Normalize the value first (e.g. `normalize_id_number`): different spellings of
        one value give different indexes. The context keeps equal values in different
        fields from sharing an index.
        """
        message = _check_context(context) + b"\x00" + value.encode("utf-8")
        if _OPENSSL_SM3:
            # The same HMAC-SM3 through OpenSSL's one-shot call: several times faster.
            return std_hmac.digest(self._index_key, message, "sm3").hex()
        mac = hmac.HMAC(self._index_key, hashes.SM3())
        mac.update(message)
        return mac.finalize().hex()


def parse_keys(spec: str) -> tuple[dict[str, bytes], str]:
    """Parse "k2:<32 hex>,k1:<32 hex>" into keys by id and the current key id (the first).

    Error messages name entries by position, never quoting them: a misplaced
    colon could put key material where an id is expected.
    """
    entries = [entry.strip() for entry in spec.split(",")]
    if not any(entries):
        raise CryptoConfigError("密钥配置为空，应为 密钥标识:32位十六进制密钥，多个以逗号分隔")
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(entries, start=1):
        key_id, colon, key_hex = (part.strip() for part in entry.partition(":"))
        if not colon:
            raise CryptoConfigError(f"密钥配置第{position}项应为 密钥标识:32位十六进制密钥")
        if _KEY_ID.fullmatch(key_id) is None:
            raise CryptoConfigError(f"密钥配置第{position}项的密钥标识应为1到16位英文字母或数字")
        if key_id in keys:
            raise CryptoConfigError(f"密钥配置第{position}项的密钥标识 {key_id} 重复")
        if _KEY_HEX.fullmatch(key_hex) is None:
            raise CryptoConfigError(f"密钥配置第{position}项（{key_id}）的密钥应为32位十六进制")
        keys[key_id] = bytes.fromhex(key_hex)
    return keys, next(iter(keys))


def _parse_index_key(key_hex: str) -> bytes:
    key_hex = key_hex.strip()
    if _HEX.fullmatch(key_hex) is None or len(key_hex) < 2 * MIN_INDEX_KEY_BYTES:
        raise CryptoConfigError(f"TANFANG_BLIND_INDEX_KEY 应为至少{2 * MIN_INDEX_KEY_BYTES}位、偶数位的十六进制")
    return bytes.fromhex(key_hex)


@functools.lru_cache(maxsize=1)
def field_cipher() -> FieldCipher:
    """Return the cipher built from settings TANFANG_FIELD_KEYS and TANFANG_BLIND_INDEX_KEY.

    It is built once. Code that changes the keys at run time must call
    `field_cipher.cache_clear()`; `override_settings` of either setting does so
    through the `setting_changed` receiver below.
    """
    spec = getattr(settings, "TANFANG_FIELD_KEYS", "")
    index_hex = getattr(settings, "TANFANG_BLIND_INDEX_KEY", "")
    if not spec:
        raise CryptoConfigError("未配置 TANFANG_FIELD_KEYS")
    if not index_hex:
        raise CryptoConfigError("未配置 TANFANG_BLIND_INDEX_KEY")
    keys, current_key_id = parse_keys(spec)
    return FieldCipher(keys, current_key_id, _parse_index_key(index_hex))


def _clear_field_cipher(*, setting: str, **kwargs: object) -> None:
    if setting in {"TANFANG_FIELD_KEYS", "TANFANG_BLIND_INDEX_KEY"}:
        field_cipher.cache_clear()


setting_changed.connect(_clear_field_cipher, dispatch_uid="tanfang.core.crypto.field_cipher")
