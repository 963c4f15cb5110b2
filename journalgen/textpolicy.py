"""Value policies for spec strings: safe text, addresses, domains and smart hosts."""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from pydantic_core import PydanticCustomError

from journalgen.clouds import initial_suffix

# Unicode categories no spec value needs: controls, format (bidi overrides, zero-width), surrogates,
# private use, unassigned, and line/paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
_TLD = re.compile(r"[a-z][a-z0-9-]*[a-z0-9]|[a-z]{2,}", re.IGNORECASE)
_LOCAL_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_ALIAS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def _fail(kind: str, message: str, **context: object) -> PydanticCustomError:
    return PydanticCustomError(kind, message, dict(context))


def describe_char(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def name_key(name: str) -> str:
    """The form in which two names are the same name: NFKC and case-folded, as Unicode's
    NFKC_Casefold, so that composed and decomposed letters, fullwidth and ordinary forms and
    case, which a reviewer cannot tell apart and Exchange may or may not, compare equal.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def code_points(text: str, limit: int = 8) -> str:
    """The non-ASCII characters of ``text`` as code points, to show what a glyph cannot."""
    shown = [f"U+{ord(c):04X}" for c in text if not c.isascii()]
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return " ".join(shown[:limit]) + more if shown else "ASCII only"


def not_nfc(text: str) -> str | None:
    """The first character that keeps ``text`` from being in Unicode NFC, described, or None.

    A decomposed letter (e + U+0301) or a singleton such as U+212B ANGSTROM SIGN shows as the
    letter a reviewer expects, but is stored, compared and searched for as written.
    """
    if unicodedata.is_normalized("NFC", text):
        return None
    for index, char in enumerate(text):
        if unicodedata.normalize("NFC", char) != char:
            return describe_char(char)
        pair = text[index - 1 : index + 1] if index else ""
        if unicodedata.combining(char) and len(unicodedata.normalize("NFC", pair)) == 1:
            return f"{pair[0]} followed by {describe_char(char)}"
    return "a sequence of combining marks in another order"


def safe_text(value: str) -> str:
    """Refuse text a reviewer could misread or a script could mangle."""
    if not value:
        raise _fail("jg_text", "must not be empty")
    if value != value.strip():
        raise _fail("jg_text", "must not start or end with white space")
    for char in value:
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            raise _fail(
                "jg_text",
                "contains the invisible or control character {char}; remove it",
                char=describe_char(char),
            )
    return value


def _ascii(value: str, what: str, kind: str) -> None:
    if not value.isascii():
        bad = next(c for c in value if not c.isascii())
        in_domain = kind != "jg_alias" and value.index(bad) > value.rfind("@")
        hint = " (use the punycode 'xn--' form for a domain)" if in_domain else ""
        raise _fail(
            kind,
            "{what} must be ASCII; found {char}{hint}",
            what=what,
            char=describe_char(bad),
            hint=hint,
        )


def _domain_problem(value: str) -> str | None:
    if len(value) > 253:
        return "is longer than 253 characters"
    if value.endswith(".") and not value.endswith(".."):
        # A fully qualified name as DNS tools print it; Exchange wants it without the root dot.
        return f"ends in a dot; write it without the dot, as '{value[:-1]}'"
    labels = value.split(".")
    if len(labels) < 2:
        return "needs at least two labels, like 'contoso.com'"
    for label in labels:
        if not _LABEL.fullmatch(label):
            return f"has an invalid label '{label}' (letters, digits and inner hyphens, 1-63 long)"
    if not _TLD.fullmatch(labels[-1]) or labels[-1].isdigit():
        return f"has an invalid top-level label '{labels[-1]}'"
    return None


def _require_domain(value: str, bare: str) -> str:
    """Refuse ``value`` unless ``bare`` (it, less any allowed wildcard) is a domain name."""
    problem = _domain_problem(bare)
    if problem:
        raise _fail(
            "jg_domain", "'{value}' is not a domain name: {problem}", value=value, problem=problem
        )
    return value


def domain(value: str) -> str:
    safe_text(value)
    _ascii(value, "a domain", "jg_domain")
    return _require_domain(value, value)


def wildcard_domain(value: str) -> str:
    """A domain, or ``*.`` followed by a domain, as Exchange allows in RecipientDomains and TlsDomain."""
    safe_text(value)
    _ascii(value, "a domain", "jg_domain")
    bare = value[2:] if value.startswith("*.") else value
    if "*" in bare:
        raise _fail(
            "jg_domain",
            "'{value}' has a wildcard inside it; only a leading '*.' is allowed",
            value=value,
        )
    return _require_domain(value, bare)


def onmicrosoft_domain(value: str) -> str:
    """A tenant's initial domain in any cloud; ``tenant.cloud`` decides which suffix it must have."""
    domain(value)
    if initial_suffix(value) is None:
        raise _fail(
            "jg_domain",
            "'{value}' is not a tenant's initial domain; it looks like 'contoso.onmicrosoft.com' "
            "(GCC High and DoD: 'contoso.onmicrosoft.us'; 21Vianet: 'contoso.partner.onmschina.cn')",
            value=value,
        )
    return value


def address(value: str) -> str:
    safe_text(value)
    _ascii(value, "an email address", "jg_address")
    local, at, dom = value.rpartition("@")
    if not at or not local:
        raise _fail(
            "jg_address", "'{value}' is not an email address like 'name@contoso.com'", value=value
        )
    if len(local) > 64:
        raise _fail(
            "jg_address",
            "the part before '@' in '{value}' is longer than 64 characters",
            value=value,
        )
    if not all(_LOCAL_ATOM.fullmatch(part) for part in local.split(".")):
        raise _fail(
            "jg_address",
            "'{value}' has characters or dots before '@' that an SMTP address cannot have",
            value=value,
        )
    problem = _domain_problem(dom)
    if problem:
        raise _fail("jg_address", "the domain of '{value}' {problem}", value=value, problem=problem)
    return value


def alias(value: str) -> str:
    safe_text(value)
    _ascii(value, "an alias", "jg_alias")
    if not _ALIAS.fullmatch(value):
        raise _fail(
            "jg_alias",
            "'{value}' is not a valid alias: use letters, digits, single inner dots and the "
            "symbols an address may have before '@' (no spaces)",
            value=value,
        )
    return value


def smart_host(value: str) -> str:
    """An FQDN, an IPv4 or IPv6 address, or a CIDR range."""
    safe_text(value)
    _ascii(value, "a smart host", "jg_host")
    try:
        if "/" in value:
            ipaddress.ip_network(value, strict=True)
        else:
            ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if "/" in value or ":" in value or value.replace(".", "").isdigit():
        raise _fail("jg_host", "'{value}' is not a valid IP address or CIDR range", value=value)
    problem = _domain_problem(value)
    if problem:
        raise _fail(
            "jg_host", "'{value}' is not a host name: {problem}", value=value, problem=problem
        )
    return value


# Letters whose compatibility decomposition (NFKD) is no ASCII letter, written as they are
# usually transliterated; NFKD handles the rest (accents, ligatures, fullwidth forms).
_TRANSLITERATIONS = str.maketrans(
    {
        "\u00df": "ss",  # ß
        "\u1e9e": "SS",  # ẞ
        "\u00e6": "ae",  # æ
        "\u00c6": "AE",  # Æ
        "\u00f8": "o",  # ø
        "\u00d8": "O",  # Ø
        "\u0111": "d",  # đ
        "\u0110": "D",  # Đ
        "\u00f0": "d",  # ð
        "\u00d0": "D",  # Ð
        "\u0142": "l",  # ł
        "\u0141": "L",  # Ł
        "\u00fe": "th",  # þ
        "\u00de": "Th",  # Þ
        "\u0153": "oe",  # œ
        "\u0152": "OE",  # Œ
        "\u0131": "i",  # ı
        "\u0127": "h",  # ħ
        "\u0126": "H",  # Ħ
        "\u0167": "t",  # ŧ
        "\u0166": "T",  # Ŧ
    }
)
_ALIAS_MAX = 64
DEFAULT_ALIAS = "JournalArchive"


def derive_alias(name: str) -> tuple[str, str]:
    """The alias derived from a display name, and the letters and digits of it that it leaves out.

    Letters are transliterated to ASCII where that is common (ö -> o, ß -> ss, ø -> o); spaces
    and the characters an alias cannot have are left out; a letter or digit with no ASCII form
    (or cut off at 64 characters) is left out and returned, so the caller can warn.
    """
    kept: list[str] = []
    dropped: list[str] = []
    for char in name:
        spelt = unicodedata.normalize("NFKD", char.translate(_TRANSLITERATIONS))
        spelt = "".join(c for c in spelt if not unicodedata.combining(c))
        if not spelt.isascii():
            if unicodedata.category(char)[0] in "LN":
                dropped.append(char)
            continue
        kept.extend(c for c in spelt if _LOCAL_ATOM.fullmatch(c) or c == ".")
    cleaned = re.sub(r"\.{2,}", ".", "".join(kept)).strip(".")
    if len(cleaned) > _ALIAS_MAX:
        dropped.extend(c for c in cleaned[_ALIAS_MAX:] if c.isalnum())
        cleaned = cleaned[:_ALIAS_MAX].rstrip(".")
    return cleaned or DEFAULT_ALIAS, "".join(dropped)


def alias_from_name(name: str) -> str:
    """The alias Exchange-style tools derive from a display name (see :func:`derive_alias`)."""
    return derive_alias(name)[0]
