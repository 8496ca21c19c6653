"""The errors of policy files: a bad file, pointed at by source, line and key.

A :class:`PolicyFileError` says where the problem is (the file, the 1-based line when it can be
found, the dotted key such as ``fees.rules[1].brackets[0].rate``) and what it is, so that
``str(error)`` reads like a compiler's message:

```pycon
>>> error = PolicyFileError("must be an integer, not a string", source="policy.toml",
...                         key="hold_time_seconds", line=3)
>>> print(error)
policy.toml:3: hold_time_seconds: must be an integer, not a string

```
"""

from __future__ import annotations

from icbc_wallet.errors import InvalidPolicyError

__all__ = ["PolicyFileError", "UnknownPresetError"]


class PolicyFileError(InvalidPolicyError):
    """A policy file (or text) that does not describe a valid policy set.

    Also raised by :func:`~icbc_wallet.policy_files.dumps_policies` for a policy set a file
    cannot hold exactly (its ``source`` is then ``"<WalletPolicies>"``).

    Attributes:
        source: the file's path, or ``"<string>"`` for text.
        key: the dotted path to the offending key (``limits.tiers[0].daily``), or None when the
            problem is not at one key (a TOML syntax error, bytes that are not UTF-8).
        line: the 1-based line of that key in the text, when it could be found.
        problem: what is wrong, without the location.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str = "<string>",
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.source = source
        self.key = key
        self.line = line
        self.problem = problem
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {problem}" if key is None else f"{where}: {key}: {problem}")

    def __reduce__(self) -> tuple[object, ...]:
        # the default pickles args (the message) and would call __init__(message) on load
        return _rebuild, (type(self), self.problem, self.source, self.key, self.line)


def _rebuild(
    kind: type[PolicyFileError], problem: str, source: str, key: str | None, line: int | None
) -> PolicyFileError:
    return kind(problem, source=source, key=key, line=line)


class UnknownPresetError(PolicyFileError, LookupError):
    """No preset has that name; the message lists the names there are."""
