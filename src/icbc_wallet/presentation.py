"""Presentation: money and decisions as people read them, in Chinese or English.

Human formatting lives here, never in ``__str__`` of domain values. Locale data comes from Babel
(the same CLDR data py-moneyed uses).

```pycon
>>> from icbc_wallet import Money
>>> format_money(Money.of("1234.5"), "zh_CN")
'¥1,234.50'
>>> format_money(Money.of("1234.5"), "en_US")
'CN¥1,234.50'
>>> format_money(Money.of("1234", "JPY"), "en_US")
'¥1,234'

```
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency

from icbc_wallet.domain.decisions import Approved, Decision, Declined, DeclineReason
from icbc_wallet.domain.money import Money
from icbc_wallet.errors import UnsupportedLocaleError

__all__ = ["explain", "format_money"]

_ZH_LABELS = {"limit": "限额", "used": "已用", "remaining": "剩余", "deadline": "截止"}
_EN_LABELS = {"limit": "limit", "used": "used", "remaining": "remaining", "deadline": "deadline"}


def format_money(money: Money, locale: str = "zh_CN") -> str:
    """Format ``money`` for ``locale`` (``"zh_CN"``, ``"en_US"``, any Babel locale).

    Always shows exactly the currency's number of decimal places, never rounding them away.

    Raises:
        UnsupportedLocaleError: Babel does not know ``locale``.
    """
    return format_currency(
        money.amount,
        money.currency,
        locale=_locale(locale),
        currency_digits=True,
        decimal_quantization=True,
    )


def _locale(name: str) -> Locale:
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        raise UnsupportedLocaleError(
            f"unknown locale {name!r}; use a Babel locale such as 'zh_CN' or 'en_US'"
        ) from None


def explain(decision: Decision, locale: str = "zh_CN") -> str:
    """One line a customer can read: the outcome, and for a decline its reason and numbers.

    ```pycon
    >>> from icbc_wallet import DeclineReason, Declined, Money
    >>> explain(Declined(DeclineReason.DAILY_LIMIT, limit=Money.of(1000), used=Money.of(800),
    ...                  remaining=Money.of(200)), "en_US")
    'Declined: Exceeds the daily cumulative limit (limit CN¥1,000.00, used CN¥800.00, remaining CN¥200.00)'

    ```
    """
    chinese = _locale(locale).language == "zh"
    if isinstance(decision, Approved):
        details = _details(decision.remaining, None, None, decision, locale, chinese)
        return ("批准" if chinese else "Approved") + details
    message = decision.reason.message("zh" if chinese else "en")
    if decision.scope not in (None, "all"):  # a method's own rule, not the tier's overall one
        if decision.reason is DeclineReason.METHOD_NOT_ALLOWED:
            message += f"：{decision.scope}" if chinese else f": {decision.scope}"
        else:
            message += f"（{decision.scope}）" if chinese else f" for {decision.scope} payments"
    details = _details(decision.remaining, decision.limit, decision.used, decision, locale, chinese)
    return ("拒绝：" if chinese else "Declined: ") + message + details


def _details(
    remaining: Money | None,
    limit: Money | None,
    used: Money | None,
    decision: Approved | Declined,
    locale: str,
    chinese: bool,
) -> str:
    labels = _ZH_LABELS if chinese else _EN_LABELS
    parts = [
        f"{labels[name]} {format_money(value, locale)}"
        for name, value in (("limit", limit), ("used", used), ("remaining", remaining))
        if value is not None
    ]
    if decision.deadline is not None:
        parts.append(f"{labels['deadline']} {decision.deadline.isoformat()}")
    if not parts:
        return ""
    return f"（{'，'.join(parts)}）" if chinese else f" ({', '.join(parts)})"
