//! Identifiers: ISO 3166-1 state codes, treaty slugs and withdrawal case ids.

use treaty_domain::{CaseId, DomainError, StateCode, TreatyId};

fn codes(list: &[StateCode]) -> Vec<&'static str> {
    list.iter().map(|code| code.as_str()).collect()
}

#[test]
fn a_state_code_is_read_in_either_case_and_kept_in_upper_case() {
    for input in ["LT", "lt", "Lt", " lt "] {
        let code = StateCode::parse(input).unwrap();
        assert_eq!(code.as_str(), "LT", "{input:?}");
        assert_eq!(code.to_string(), "LT");
        assert_eq!(code.name(), "Lithuania");
    }
}

#[test]
fn parties_that_are_not_un_members_have_codes_too() {
    let table = [
        ("PS", "Palestine"),
        ("CK", "Cook Islands"),
        ("NU", "Niue"),
        ("VA", "Holy See"),
    ];
    for (code, name) in table {
        assert!(
            StateCode::parse(code).unwrap().name().starts_with(name),
            "{code}"
        );
    }
}

#[test]
fn anything_but_an_assigned_alpha_2_code_is_refused() {
    for input in ["", "L", "LTU", "XK", "UK", "1T", "ŁT", "L T"] {
        assert!(
            matches!(
                StateCode::parse(input),
                Err(DomainError::UnknownStateCode { .. })
            ),
            "{input:?}"
        );
    }
}

#[test]
fn an_unknown_code_is_refused_with_suggestions_in_the_message() {
    let error = StateCode::parse("VL").unwrap_err();
    let DomainError::UnknownStateCode { suggestions, .. } = &error else {
        panic!("unexpected {error:?}");
    };
    assert_eq!(codes(suggestions)[0], "LV", "{suggestions:?}");
    assert!(error.to_string().contains("did you mean"), "{error}");
}

#[test]
fn suggestions_find_a_state_by_its_alpha_3_code_or_name() {
    assert_eq!(codes(&StateCode::suggestions("LTU", 3))[0], "LT");
    assert_eq!(codes(&StateCode::suggestions("lithuania", 3))[0], "LT");
    assert_eq!(codes(&StateCode::suggestions("Lith", 3)), ["LT"]);
    assert_eq!(codes(&StateCode::suggestions("pol", 1)), ["PL"]);
    assert_eq!(codes(&StateCode::suggestions("UK", 1)), ["UA"]);
}

#[test]
fn suggestions_for_a_swapped_or_mistyped_code_include_the_intended_one() {
    let table = [
        ("VL", "LV"),
        ("TP", "PT"),
        ("LQ", "LT"),
        ("EF", "EE"),
        ("FU", "FI"),
    ];
    for (typed, meant) in table {
        assert!(StateCode::parse(typed).is_err(), "{typed} is assigned");
        let found = StateCode::suggestions(typed, 20);
        assert!(codes(&found).contains(&meant), "{typed}: {found:?}");
    }
}

#[test]
fn suggestions_are_limited_and_stable() {
    let first = StateCode::suggestions("L", 4);
    assert_eq!(first.len(), 4);
    assert_eq!(first, StateCode::suggestions("L", 4));
    assert!(StateCode::suggestions("zzzzzz", 5).is_empty());
    assert!(StateCode::suggestions("LT", 0).is_empty());
}

#[test]
fn treaty_ids_are_lower_case_slugs_of_2_to_32_characters() {
    for valid in [
        "apmbc",
        "ccm",
        "ab",
        "npt-1968",
        "a234567890123456789012345678901b",
    ] {
        assert_eq!(TreatyId::parse(valid).unwrap().as_str(), valid);
    }
    for invalid in [
        "",
        "a",
        "APMBC",
        "1ccm",
        "-ccm",
        "ccm_1",
        "ccm 1",
        "a2345678901234567890123456789012b",
    ] {
        assert_eq!(
            TreatyId::parse(invalid),
            Err(DomainError::InvalidTreatyId {
                input: invalid.to_owned()
            }),
            "{invalid:?}"
        );
    }
}

#[test]
fn a_case_id_names_the_treaty_the_state_and_the_attempt() {
    let id = CaseId::new(
        TreatyId::parse("apmbc").unwrap(),
        StateCode::parse("lt").unwrap(),
        1,
    )
    .unwrap();
    assert_eq!(id.to_string(), "apmbc-LT-1");
    assert_eq!(CaseId::parse("apmbc-LT-1"), Ok(id.clone()));
    assert_eq!(id.treaty().as_str(), "apmbc");
    assert_eq!(id.state().as_str(), "LT");
    assert_eq!(id.ordinal(), 1);
}

#[test]
fn a_case_id_survives_a_treaty_slug_with_hyphens_and_a_lower_case_state() {
    let id = CaseId::parse("cluster-munitions-lt-12").unwrap();
    assert_eq!(id.treaty().as_str(), "cluster-munitions");
    assert_eq!(id.to_string(), "cluster-munitions-LT-12");
}

#[test]
fn malformed_case_ids_are_refused() {
    for input in [
        "",
        "apmbc",
        "apmbc-LT",
        "apmbc-LT-0",
        "apmbc-LT-01",
        "apmbc-LT-x",
        "apmbc-LTU-1",
        "APMBC-LT-1",
        "apmbc-XK-1",
        "apmbc-LT-+1",
    ] {
        assert!(
            matches!(CaseId::parse(input), Err(DomainError::InvalidCaseId { .. })),
            "{input:?}"
        );
    }
    let lithuania = StateCode::parse("LT").unwrap();
    assert!(CaseId::new(TreatyId::parse("ccm").unwrap(), lithuania, 0).is_err());
}
