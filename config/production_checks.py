"""What production refuses to start with: debugging on, the public demo keys, keys too short.

The demo and test runs use the keys below. They are in this repository, so anyone can read
them: data protected by them is not protected. `config/settings.py` uses them as the demo
defaults and, when TANFANG_ENV=production, calls `refuse_unsafe_production` before anything
else runs. The checks are pure functions of the values, so each refusal is tested directly.

Messages name the setting and the rule, never the value: a key must not end up in a log.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

DEMO_SECRET_KEY = "demo-only-insecure-secret-key-0123456789abcdefghijklmnop"  # noqa: S105 — public on purpose
DEMO_FIELD_KEYS = "demo1:000102030405060708090a0b0c0d0e0f"
DEMO_BLIND_INDEX_KEY = "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"

# Django's own rule for SECRET_KEY (security.W009), made a refusal.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_DISTINCT = 5
SECRET_KEY_INSECURE_PREFIX = "django-insecure-"  # noqa: S105 — a prefix to refuse, not a key
# An SM4 key is 16 bytes; the blind-index key is at least as long as an SM3 digest (32 bytes).
FIELD_KEY_HEX_DIGITS = 32
BLIND_INDEX_KEY_MIN_HEX_DIGITS = 64
# Random hex of these lengths uses nearly all 16 digits; fewer than 8 means a typed placeholder
# ("0000…", "abab…"). The chance that a random 32-digit key has fewer is below one in ten million.
KEY_MIN_DISTINCT_DIGITS = 8

_HEX_DIGITS = frozenset("0123456789abcdef")


def _demo_field_key_hexes() -> set[str]:
    return {entry.partition(":")[2].strip().lower() for entry in DEMO_FIELD_KEYS.split(",")}


def _is_hex(value: str) -> bool:
    return bool(value) and set(value) <= _HEX_DIGITS


def secret_key_problems(secret_key: str) -> list[str]:
    if secret_key == DEMO_SECRET_KEY:
        return ["TANFANG_SECRET_KEY 是公开的演示密钥 (TANFANG_SECRET_KEY is the public demo key)"]
    if (
        len(secret_key) < SECRET_KEY_MIN_LENGTH
        or len(set(secret_key)) < SECRET_KEY_MIN_DISTINCT
        or secret_key.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        return [
            f"TANFANG_SECRET_KEY 应为至少{SECRET_KEY_MIN_LENGTH}个字符的随机字符串 "
            f"(TANFANG_SECRET_KEY must be a random string of at least {SECRET_KEY_MIN_LENGTH} characters)"
        ]
    return []


def field_key_problems(field_keys: str) -> list[str]:
    """Check every key of TANFANG_FIELD_KEYS ("k2:<hex>,k1:<hex>"), old ones too.

    An old key that is public still opens every value encrypted under it, so it is refused
    like a current one: re-encrypt those values under a real key first.
    """
    problems = []
    demo = _demo_field_key_hexes()
    for position, entry in enumerate(field_keys.split(","), start=1):
        key_hex = entry.partition(":")[2].strip().lower()
        if key_hex in demo:
            problems.append(
                f"TANFANG_FIELD_KEYS 第{position}项是公开的演示密钥 "
                f"(TANFANG_FIELD_KEYS entry {position} is the public demo key)"
            )
        elif not _is_hex(key_hex) or len(key_hex) != FIELD_KEY_HEX_DIGITS:
            problems.append(
                f"TANFANG_FIELD_KEYS 第{position}项应为 密钥标识:{FIELD_KEY_HEX_DIGITS}位十六进制密钥 "
                f"(TANFANG_FIELD_KEYS entry {position} must be id:{FIELD_KEY_HEX_DIGITS} hex digits)"
            )
        elif len(set(key_hex)) < KEY_MIN_DISTINCT_DIGITS:
            problems.append(
                f"TANFANG_FIELD_KEYS 第{position}项不是随机密钥 (TANFANG_FIELD_KEYS entry {position} is not random)"
            )
    return problems


def blind_index_key_problems(blind_index_key: str) -> list[str]:
    key_hex = blind_index_key.strip().lower()
    if key_hex == DEMO_BLIND_INDEX_KEY:
        return ["TANFANG_BLIND_INDEX_KEY 是公开的演示密钥 (TANFANG_BLIND_INDEX_KEY is the public demo key)"]
    if not _is_hex(key_hex) or len(key_hex) % 2 or len(key_hex) < BLIND_INDEX_KEY_MIN_HEX_DIGITS:
        return [
            f"TANFANG_BLIND_INDEX_KEY 应为至少{BLIND_INDEX_KEY_MIN_HEX_DIGITS}位、偶数位的十六进制 "
            f"(TANFANG_BLIND_INDEX_KEY must be an even number of hex digits, at least {BLIND_INDEX_KEY_MIN_HEX_DIGITS})"
        ]
    if len(set(key_hex)) < KEY_MIN_DISTINCT_DIGITS:
        return ["TANFANG_BLIND_INDEX_KEY 不是随机密钥 (TANFANG_BLIND_INDEX_KEY is not random)"]
    return []


# The SMS channels production may name (notifications/channels.py FACTORIES): "console" only when
# chosen explicitly (it writes messages to the log and sends nothing); "fake" keeps them in memory, for
# tests. An unset TANFANG_SMS_CHANNEL is refused by settings.py itself.
PRODUCTION_SMS_CHANNELS = ("aliyun_sms", "console")


def sms_channel_problems(sms_channel: str) -> list[str]:
    if sms_channel in PRODUCTION_SMS_CHANNELS:
        return []
    return [
        f"TANFANG_SMS_CHANNEL 应为 {' 或 '.join(PRODUCTION_SMS_CHANNELS)}（console 只写日志、不发短信）"
        f" (TANFANG_SMS_CHANNEL must be one of {', '.join(PRODUCTION_SMS_CHANNELS)})"
    ]


def refuse_unknown_sms_channel(sms_channel: str) -> None:
    """Raise ImproperlyConfigured unless production names a real SMS channel, or the console on purpose."""
    problems = sms_channel_problems(sms_channel)
    if problems:
        raise ImproperlyConfigured(
            "生产环境配置不安全，拒绝启动 (unsafe production settings, refusing to start):\n"
            + "\n".join(f"- {problem}" for problem in problems)
        )


def production_problems(*, debug: bool, secret_key: str, field_keys: str, blind_index_key: str) -> list[str]:
    """Return every reason these settings must not run in production; empty when they may."""
    problems = []
    if debug:
        problems.append(
            "生产环境不得开启调试模式 TANFANG_DEBUG=1 (TANFANG_DEBUG=1 is not allowed when TANFANG_ENV=production)"
        )
    problems += secret_key_problems(secret_key)
    problems += field_key_problems(field_keys)
    problems += blind_index_key_problems(blind_index_key)
    return problems


def refuse_unsafe_production(*, debug: bool, secret_key: str, field_keys: str, blind_index_key: str) -> None:
    """Raise ImproperlyConfigured naming every problem, so one start shows everything to fix."""
    problems = production_problems(
        debug=debug, secret_key=secret_key, field_keys=field_keys, blind_index_key=blind_index_key
    )
    if problems:
        raise ImproperlyConfigured(
            "生产环境配置不安全，拒绝启动 (unsafe production settings, refusing to start):\n"
            + "\n".join(f"- {problem}" for problem in problems)
        )
