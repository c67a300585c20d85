"""The fake customer a flow types into forms: realistic for the locale, reproducible from a seed, never real.

Names, addresses and phone numbers come from Faker in the flow's locale; the e-mail address is on a domain
reserved for examples (RFC 2606), the card number is a well-known test number no issuer gives to a real card,
and the password is generated. Passwords and card details are secrets: reports show them masked.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

#: Faker locales by language (the flow's locale picks one; unknown languages fall back to en_GB)
FAKER_LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL",
                 "pt": "pt_PT", "ja": "ja_JP", "zh": "zh_CN"}
#: region-specific locales Faker knows, used as they are
EXACT = {"en-US": "en_US", "en-GB": "en_GB", "pt-BR": "pt_BR", "de-AT": "de_AT", "de-CH": "de_CH",
         "fr-CA": "fr_CA", "zh-TW": "zh_TW", "es-MX": "es_MX", "nl-BE": "nl_BE", "fr-BE": "fr_BE"}
#: Visa test number (passes the Luhn check, reserved for testing by card schemes and payment providers)
TEST_CARD = "4111 1111 1111 1111"
SECRET_FIELDS = ("password", "card_number", "card_cvc", "card_expiry")
FIELDS = ("first_name", "last_name", "name", "email", "password", "phone", "street", "city", "postcode",
          "country", "country_code", "card_number", "card_expiry", "card_cvc", "birth_date", "username")


@dataclass(frozen=True)
class Identity:
    first_name: str
    last_name: str
    name: str
    email: str
    password: str
    phone: str
    street: str
    city: str
    postcode: str
    country: str
    country_code: str
    card_number: str
    card_expiry: str
    card_cvc: str
    birth_date: str
    username: str = ""
    locale: str = ""
    seed: int = 1

    def value(self, field: str) -> str:
        return str(getattr(self, field))

    def values(self) -> list[str]:
        """The person's details as typed into forms (not the card): a field holding one of them holds buyer
        details (the submit guard asks)."""
        return [v for v in (self.first_name, self.last_name, self.name, self.email, self.phone, self.street,
                            self.city, self.postcode, self.username, self.password) if v]

    def masked(self) -> dict:
        """The identity as reports show it: secrets replaced by asterisks."""
        d = asdict(self)
        for k in SECRET_FIELDS:
            d[k] = "•" * 8
        return d

    def secrets(self) -> tuple[str, ...]:
        """The values that must never appear in a report (card number also without spaces). The three-digit
        security code is masked wherever it is shown as such, but a search for it would match any number."""
        vals = [self.password, self.card_number, self.card_number.replace(" ", "")]
        return tuple(v for v in vals if v)


def faker_locale(locale: str | None) -> str:
    loc = (locale or "en-GB").replace("_", "-")
    if loc in EXACT:
        return EXACT[loc]
    return FAKER_LOCALES.get(loc.split("-")[0].lower(), "en_GB")


def make_identity(locale: str | None = None, seed: int = 1) -> Identity:
    from faker import Faker

    fl = faker_locale(locale)
    fake = Faker(fl)
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    first, last = fake.first_name(), fake.last_name()
    user = "".join(ch for ch in f"{first}.{last}".lower() if ch.isascii() and (ch.isalnum() or ch == ".")).strip(".")
    user = user or f"customer{rnd.randrange(1000, 9999)}"
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    password = "".join(rnd.choice(alphabet) for _ in range(14)) + "!7"
    name = f"{last}{first}" if fl.startswith(("ja", "zh")) else f"{first} {last}"
    return Identity(
        first_name=first, last_name=last, name=name,
        email=f"{user}.{rnd.randrange(100, 999)}@example.com",
        password=password, phone=" ".join(fake.phone_number().split()),
        street=" ".join(fake.street_address().split()), city=fake.city(), postcode=fake.postcode(),
        country=fake.current_country() if hasattr(fake, "current_country") else "",
        country_code=fl.split("_")[1], card_number=TEST_CARD,
        card_expiry=f"12/{(rnd.randrange(28, 33))}", card_cvc=f"{rnd.randrange(100, 999)}",
        birth_date=fake.date_of_birth(minimum_age=25, maximum_age=70).isoformat(),
        username=(user.replace(".", "")[:12] or "customer") + str(rnd.randrange(10, 99)), locale=fl, seed=seed)


def render(text: str, identity: Identity) -> str:
    """Fill ``{{ identity.FIELD }}`` placeholders (already checked when the flow was read)."""
    from auditor.flows.spec import TEMPLATE

    def value(m) -> str:
        head, _, field = m.group(1).partition(".")
        # only identity fields: page text in a step name ("{{ price }}" of an unrendered template) stays as it is
        return identity.value(field) if head == "identity" and field in FIELDS else m.group(0)
    return TEMPLATE.sub(value, text)
