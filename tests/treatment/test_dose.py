"""The dose rules on their own (no database): each limit at its boundary, every finding collected."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from treatment import dose
from treatment.dose import AreaDose, Limit, LimitKind, Plan, Severity

DAY = date(2026, 3, 2)
LIMITS = [
    Limit("polidocanol-session-volume", LimitKind.SESSION_VOLUME_ML, "polidocanol", None, None, Decimal("10"), "Asclera"),
    Limit("polidocanol-mg-per-kg-day", LimitKind.DAILY_MG_PER_KG, "polidocanol", None, None, Decimal("2"), "Aethoxysklerol"),
    Limit("polidocanol-spider-concentration", LimitKind.CONCENTRATION_PERCENT, "polidocanol", "spider", None, Decimal("0.5"), "Asclera"),
    Limit("polidocanol-reticular-concentration", LimitKind.CONCENTRATION_PERCENT, "polidocanol", "reticular", None, Decimal("1"), "Asclera"),
    Limit("saline-concentration", LimitKind.CONCENTRATION_PERCENT, "hypertonic_saline", None, Decimal("11.7"), None, "trial"),
]


def plan(*volumes: str, vein="spider", **changes) -> Plan:
    areas = tuple(AreaDose(f"area{i}", vein, Decimal(v)) for i, v in enumerate(volumes))
    base = Plan(sclerosant="polidocanol", concentration_percent=Decimal("0.5"), areas=areas, session_day=DAY,
                clinic_max_volume_ml=Decimal("10"), weight_kg=Decimal("70"), lot_expires_on=DAY)
    return replace(base, **changes)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def test_ten_millilitres_in_all_pass_and_ten_point_one_are_refused():
    assert dose.check(plan("4.0", "3.5", "2.5"), LIMITS) == []
    refused = dose.check(plan("4.0", "3.5", "2.6"), LIMITS)
    assert codes(refused) == ["volume.over_session_max"]
    assert refused[0].severity is Severity.BLOCK
    assert "10.1 mL" in refused[0].message and "10 mL" in refused[0].message


def test_the_clinics_lower_maximum_wins_over_the_labels():
    assert codes(dose.check(plan("8.5", clinic_max_volume_ml=Decimal("8")), LIMITS)) == ["volume.over_session_max"]
    assert dose.check(plan("8.0", clinic_max_volume_ml=Decimal("8")), LIMITS) == []


def test_saline_has_no_label_volume_but_the_clinic_maximum_still_holds():
    saline = dict(sclerosant="hypertonic_saline", concentration_percent=Decimal("11.7"), weight_kg=None)
    assert dose.check(plan("10.0", **saline), LIMITS) == []
    assert codes(dose.check(plan("10.1", **saline), LIMITS)) == ["volume.over_session_max"]


def test_at_70_kg_140_mg_of_polidocanol_pass_and_141_are_refused():
    # 2% polidocanol: 7.00 mL = 140 mg, 7.05 mL = 141 mg; the cap is 2 mg x 70 kg = 140 mg.
    # (2% on spider veins also warns about the concentration: only the dose finding matters here.)
    assert "polidocanol.over_daily_max" not in codes(dose.check(plan("7.00", concentration_percent=Decimal("2")), LIMITS))
    refused = dose.check(plan("7.05", concentration_percent=Decimal("2")), LIMITS)
    assert "polidocanol.over_daily_max" in codes(refused)
    assert "141 mg" in next(f for f in refused if f.code == "polidocanol.over_daily_max").message


def test_other_polidocanol_of_the_same_day_counts():
    # 1%: 4.0 mL = 40 mg, with 100 mg already given today: 140 mg at 70 kg passes, 141 does not.
    earlier = Decimal("100")
    assert dose.check(plan("4.0", concentration_percent=Decimal("1"), vein="reticular", other_polidocanol_mg_today=earlier), LIMITS) == []
    refused = dose.check(plan("4.1", concentration_percent=Decimal("1"), vein="reticular", other_polidocanol_mg_today=earlier), LIMITS)
    assert codes(refused) == ["polidocanol.over_daily_max"]
    assert "100 mg were already given today" in refused[0].message


def test_polidocanol_without_a_weight_asks_for_it():
    found = dose.check(plan("1.0", weight_kg=None), LIMITS)
    assert codes(found) == ["weight.missing"] and found[0].field == "weight_kg"


def test_other_sclerosants_need_no_weight():
    assert dose.check(plan("1.0", sclerosant="sodium_tetradecyl_sulfate", concentration_percent=Decimal("0.2"), weight_kg=None), LIMITS) == []


def test_a_lot_is_usable_on_its_expiry_day_and_refused_the_day_after():
    assert dose.check(plan("1.0", lot_expires_on=DAY), LIMITS) == []
    found = dose.check(plan("1.0", lot_expires_on=date(2026, 3, 1)), LIMITS)
    assert codes(found) == ["lot.expired"] and found[0].is_block


def test_an_allergy_to_the_sclerosant_blocks_it_and_not_the_others():
    assert codes(dose.check(plan("1.0", allergies=frozenset({"polidocanol"})), LIMITS)) == ["allergy.polidocanol"]
    sts = plan("1.0", sclerosant="sodium_tetradecyl_sulfate", concentration_percent=Decimal("0.2"),
               allergies=frozenset({"polidocanol"}))
    assert dose.check(sts, LIMITS) == []


def test_an_unnamed_sclerosant_allergy_is_a_warning_except_for_saline():
    found = dose.check(plan("1.0", allergies=frozenset({"unspecified", "unrecognised"})), LIMITS)
    assert codes(found) == ["allergy.unspecified", "allergy.unrecognised"]
    assert all(f.severity is Severity.WARN for f in found)
    saline = plan("1.0", sclerosant="hypertonic_saline", concentration_percent=Decimal("20"),
                  allergies=frozenset({"unspecified"}))
    assert dose.check(saline, LIMITS) == []


def test_polidocanol_above_half_a_percent_on_spider_veins_is_a_warning():
    assert dose.check(plan("1.0", concentration_percent=Decimal("0.5")), LIMITS) == []
    found = dose.check(plan("1.0", concentration_percent=Decimal("0.75")), LIMITS)
    assert codes(found) == ["concentration.unusual.spider"]
    assert found[0].severity is Severity.WARN and found[0].field == "concentration_percent"
    assert found[0].message.startswith("0.75% is above the usual 0.5% for spider veins with polidocanol")


def test_the_same_concentration_is_usual_on_reticular_veins():
    assert dose.check(plan("1.0", concentration_percent=Decimal("1"), vein="reticular"), LIMITS) == []


def test_saline_below_its_lowest_effective_strength_warns():
    found = dose.check(plan("1.0", sclerosant="hypertonic_saline", concentration_percent=Decimal("10"), weight_kg=None), LIMITS)
    assert codes(found) == ["concentration.unusual.spider"]
    assert "below the usual 11.7%" in found[0].message


def test_every_finding_is_collected_blocks_first():
    found = dose.check(
        plan("6.0", "5.0", concentration_percent=Decimal("0.75"), weight_kg=None, lot_expires_on=date(2026, 1, 1),
             allergies=frozenset({"polidocanol"})),
        LIMITS,
    )
    assert codes(found) == ["volume.over_session_max", "weight.missing", "lot.expired", "allergy.polidocanol",
                            "concentration.unusual.spider"]


def test_no_area_is_refused():
    assert codes(dose.check(plan(), LIMITS)) == ["areas.none"]


def test_volumes_are_exact_decimals():
    # 0.1 + 0.2 is 0.3 exactly: thirty areas of 0.1 and 0.2 make exactly 4.5 mL, never 4.500000001.
    assert plan(*(["0.1", "0.2"] * 15)).total_volume_ml == Decimal("4.5")
    assert dose.fmt(Decimal("10.50")) == "10.5" and dose.fmt(Decimal("10.00")) == "10" and dose.fmt(Decimal("0.25")) == "0.25"
    assert dose.polidocanol_mg(Decimal("7.05"), Decimal("2")) == Decimal("141.0")
