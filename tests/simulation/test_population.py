"""The population is valid, unique, repeatable from its seed, stable as it grows, and discreet."""

from __future__ import annotations

import pytest

from icbc_wallet.domain.categories import Category
from icbc_wallet.domain.identity import BankCard, MerchantCreditCode, PhoneNumber, ResidentId
from icbc_wallet.domain.registration import validate_payment_password
from icbc_wallet.errors import InvalidSimulationError
from icbc_wallet.simulation import SimulationConfig
from icbc_wallet.simulation.config import MAX_CUSTOMERS, MAX_DAYS, MAX_MERCHANTS, MAX_SEED
from icbc_wallet.simulation.population import Population, _draw, _strong

PEOPLE = Population.generate(seed=2026, customers=200, merchants=20)


def test_every_identity_number_passes_the_domain_parsers() -> None:
    for person in PEOPLE.customers:
        assert PhoneNumber.parse(person.phone.reveal()) == person.phone
        assert BankCard.parse(person.card.reveal()) == person.card
        if person.resident_id is not None:
            assert ResidentId.parse(person.resident_id.reveal()) == person.resident_id
        validate_payment_password(
            person.password, phone=person.phone, resident_id=person.resident_id
        )
    for shop in PEOPLE.merchants:
        assert MerchantCreditCode.parse(shop.credit_code.reveal()).checksum_valid


def test_phones_and_resident_ids_are_unique_within_a_population() -> None:
    phones = [person.phone for person in PEOPLE.customers]
    ids = [p.resident_id for p in PEOPLE.customers if p.resident_id is not None]
    assert len(set(phones)) == len(phones)
    assert len(set(ids)) == len(ids)


def test_the_evidence_follows_the_tier_plan_and_the_first_customer_brings_a_card() -> None:
    evidence = [person.evidence for person in PEOPLE.customers]
    assert evidence[0] == "card"
    assert {"card", "identity", "phone"} == set(evidence)
    assert evidence.count("card") > evidence.count("identity") > 0
    for person in PEOPLE.customers:
        assert (person.evidence == "phone") == (person.resident_id is None)
        assert (person.name is None) == (person.resident_id is None)


def test_the_same_seed_gives_the_same_people_and_a_larger_population_keeps_them() -> None:
    small = Population.generate(seed=2026, customers=5, merchants=3)
    assert small.customers == PEOPLE.customers[:5]
    assert small.merchants == PEOPLE.merchants[:3]
    other = Population.generate(seed=7, customers=5, merchants=3)
    assert {p.phone for p in other.customers}.isdisjoint(p.phone for p in small.customers)


def test_the_first_eight_merchants_cover_every_category_but_other() -> None:
    categories = {shop.category for shop in PEOPLE.merchants[:8]}
    assert categories == set(Category) - {Category.OTHER}
    names = [shop.name for shop in Population.generate(seed=1, customers=0, merchants=60).merchants]
    assert len(set(names)) == len(names)  # a second round of a category is numbered


def test_a_customers_repr_shows_no_personal_data() -> None:
    for person in PEOPLE.customers[:20]:
        text = repr(person)
        assert person.phone.reveal() not in text
        assert person.card.reveal() not in text
        assert person.password not in text
        if person.resident_id is not None and person.name is not None:
            assert person.resident_id.reveal() not in text
            assert person.name not in text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("days", 0),
        ("days", MAX_DAYS + 1),
        ("customers", 0),
        ("customers", MAX_CUSTOMERS + 1),
        ("merchants", 0),
        ("merchants", MAX_MERCHANTS + 1),
        ("seed", -1),
        ("seed", MAX_SEED + 1),
        ("days", "3"),
        ("customers", True),
        ("merchants", 2.0),
    ],
)
def test_a_config_out_of_range_or_of_the_wrong_type_is_refused_naming_the_field(
    field: str, value: object
) -> None:
    with pytest.raises(InvalidSimulationError, match=field) as refused:
        SimulationConfig(**{field: value})  # type: ignore[arg-type]
    assert isinstance(refused.value, ValueError)


def test_the_default_config_is_a_month_of_forty_customers_and_eight_merchants() -> None:
    assert SimulationConfig() == SimulationConfig(days=30, customers=40, merchants=8, seed=2026)
    assert SimulationConfig(days=MAX_DAYS, customers=1, merchants=1, seed=0).days == MAX_DAYS


def test_a_clashing_or_weak_draw_is_drawn_again() -> None:
    assert _draw(iter([1, 2, 3]).__next__, lambda drawn: drawn > 1) == 2
    person = PEOPLE.customers[0]
    assert _strong(person.password, person.phone, person.resident_id)
    assert not _strong("123456", person.phone, person.resident_id)
    assert not _strong(person.phone.last_six, person.phone, None)
