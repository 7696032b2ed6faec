//! Properties of the parsers that take what people type (postal codes,
//! e-mail addresses, names, phone numbers, membership numbers, free text)
//! and of the date arithmetic (lags, cut-offs, the days of leaving and
//! moving), over arbitrary input: nothing panics, and what is accepted has
//! the shape the rest of kartei relies on.

use chrono::{Days, NaiveDate};
use kartei_domain::application::{Status, objection_deadline};
use kartei_domain::lag::{ServiceLevels, Threshold, clocks, cutoffs, percentiles_of};
use kartei_domain::member::{MembershipNumber, entry_dates, resignation_in_reach, transfer_day};
use kartei_domain::person::{PersonName, Phone, age_on, check_birth_date, person_name, phone};
use kartei_domain::text::{Note, Reason, search_key, single_line};
use kartei_domain::{EmailAddress, PostalCode};
use proptest::prelude::*;

/// Any date chrono can hold, so the edges of the calendar are tried too.
fn any_date() -> impl Strategy<Value = NaiveDate> {
    (-262_000i32..=262_000, 1u32..=12, 1u32..=31)
        .prop_filter_map("a real day", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ a-zA-ZäöüÄÖÜßẞéèçñ\u{300}\u{308}İı\t-]{0,40}",
        "[0-9 +()/-]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn postal_codes_are_five_ascii_digits(raw in text()) {
        if let Ok(code) = PostalCode::parse(&raw) {
            prop_assert_eq!(code.as_str().len(), 5);
            prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(code.as_str(), raw.trim());
        }
    }

    #[test]
    fn accepted_email_addresses_are_trimmed_and_parse_again(raw in prop_oneof![
        text(),
        "[a-zA-Z0-9._%+-]{0,20}@[a-zA-Z0-9.-]{0,20}",
    ]) {
        if let Ok(address) = EmailAddress::parse(&raw) {
            let text = address.as_str();
            prop_assert!(!text.chars().any(char::is_whitespace));
            prop_assert!(text.chars().count() <= 254);
            prop_assert_eq!(EmailAddress::parse(text).map(|a| a.as_str().to_owned()), Ok(text.to_owned()));
            prop_assert_eq!(address.comparison_key(), text.to_lowercase());
        }
    }

    #[test]
    fn search_keys_are_lower_case_trimmed_and_stable(raw in text()) {
        let key = search_key(&raw);
        prop_assert_eq!(key.trim(), key.as_str());
        prop_assert!(!key.contains("  "));
        prop_assert!(!key.chars().any(|c| "äöüß".contains(c)));
        prop_assert_eq!(search_key(&key), key.clone());
    }

    #[test]
    fn german_names_meet_whatever_their_case(raw in "[ a-zA-ZäöüÄÖÜß-]{0,30}") {
        prop_assert_eq!(search_key(&raw.to_uppercase()), search_key(&raw.to_lowercase()));
        let spelled_out = raw.replace('ä', "ae").replace('ö', "oe").replace('ü', "ue");
        prop_assert_eq!(search_key(&spelled_out), search_key(&raw));
    }

    #[test]
    fn names_and_single_lines_are_trimmed_bounded_and_printable(raw in text(), max in 1usize..120) {
        if let Ok(line) = single_line(&raw, max) {
            prop_assert!(!line.is_empty());
            prop_assert!(line.chars().count() <= max);
            prop_assert!(!line.chars().any(char::is_control));
            prop_assert_eq!(line.trim(), line.as_str());
        }
        if let Ok(name) = person_name(&raw) {
            prop_assert!(name.chars().any(char::is_alphabetic));
            prop_assert!(name.chars().count() <= 100);
        }
    }

    #[test]
    fn phone_numbers_keep_what_was_typed(raw in text()) {
        if let Ok(number) = phone(&raw) {
            let digits = number.chars().filter(char::is_ascii_digit).count();
            prop_assert!((6..=20).contains(&digits));
            prop_assert_eq!(number.as_str(), raw.trim());
        }
    }

    #[test]
    fn ages_and_birth_dates_never_panic(born in any_date(), on in any_date()) {
        let age = age_on(born, on);
        if born <= on && on.years_since(born).is_some() {
            prop_assert_eq!(Some(age), on.years_since(born));
        }
        let _ = check_birth_date(born, on);
    }

    #[test]
    fn clocks_and_deadlines_never_panic(
        received in any_date(),
        started in any_date(),
        today in any_date(),
        levels in (0u32..1000, 0u32..1000, 0u32..1000),
        days in 0u32..100_000,
    ) {
        let levels = ServiceLevels {
            handover_days: levels.0,
            first_contact_days: levels.1,
            entered_days: levels.2,
        };
        for status in Status::OPEN {
            let c = clocks(status, received, started, today, &levels);
            prop_assert!(c.is_some_and(|c| !c.escalated || c.overdue));
        }
        let deadline = objection_deadline(received, days);
        prop_assert!(deadline >= received);
        prop_assert!(deadline == NaiveDate::MAX || received.checked_add_days(Days::new(days.into())) == Some(deadline));
    }

    #[test]
    fn percentiles_lie_within_the_values(mut bins in proptest::collection::vec((-1000i64..1000, 0u64..50), 0..40)) {
        bins.sort_unstable();
        bins.dedup_by_key(|(days, _)| *days);
        let p = percentiles_of(&bins);
        let present: Vec<i64> = bins.iter().filter(|(_, n)| *n > 0).map(|(d, _)| *d).collect();
        match (present.first(), present.last()) {
            (Some(low), Some(high)) => {
                let (median, p90) = (p.median.unwrap_or(f64::NAN), p.p90.unwrap_or(f64::NAN));
                prop_assert!(*low as f64 <= median && median <= p90 && p90 <= *high as f64);
            }
            _ => prop_assert_eq!(p, Default::default()),
        }
    }

    #[test]
    fn reasons_and_notes_are_trimmed_bounded_and_keep_only_line_breaks(raw in prop_oneof![
        text(),
        "[ a-zäöü\n\r\t.,\u{0}\u{7}\u{1b}]{0,60}",
    ]) {
        if let Ok(reason) = Reason::parse(&raw) {
            let text = reason.as_str();
            prop_assert!(!text.is_empty());
            prop_assert!(text.chars().count() <= 1000);
            prop_assert!(!text.chars().any(|c| c.is_control() && !"\n\r\t".contains(c)));
            prop_assert_eq!(text, raw.trim());
            prop_assert_eq!(Reason::parse(text), Ok(reason.clone()));
        }
        prop_assert_eq!(
            Note::optional(Some(&raw)).map(|n| n.map(String::from)),
            Note::parse(&raw).map(|n| Some(String::from(n))).or_else(|e| {
                if raw.trim().is_empty() { Ok(None) } else { Err(e) }
            })
        );
    }

    #[test]
    fn the_name_and_phone_types_agree_with_their_functions(raw in text()) {
        prop_assert_eq!(PersonName::parse(&raw).map(String::from), person_name(&raw));
        prop_assert_eq!(Phone::parse(&raw).map(String::from), phone(&raw));
    }

    #[test]
    fn membership_numbers_are_short_ascii_and_parse_again(raw in prop_oneof![
        text(),
        "[ A-Za-z0-9/-]{0,24}",
    ]) {
        if let Ok(number) = MembershipNumber::parse(&raw) {
            let text = number.as_str();
            prop_assert!((1..=20).contains(&text.len()));
            prop_assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/'));
            prop_assert_eq!(MembershipNumber::parse(text), Ok(number.clone()));
        }
    }

    #[test]
    fn cutoffs_and_the_days_of_leaving_and_moving_never_panic(
        today in any_date(),
        on in any_date(),
        levels in (any::<u32>(), any::<u32>(), any::<u32>()),
    ) {
        let levels = ServiceLevels {
            handover_days: levels.0,
            first_contact_days: levels.1,
            entered_days: levels.2,
        };
        let overdue = cutoffs(&levels, today, Threshold::Overdue);
        let escalated = cutoffs(&levels, today, Threshold::Escalated);
        // Twice the level reaches at least as far back.
        prop_assert!(escalated.received_before <= overdue.received_before);
        prop_assert!(escalated.handover_stage_before <= overdue.handover_stage_before);
        let _ = (resignation_in_reach(on, today), transfer_day(on, today));
        let _ = entry_dates(on, today, today);
    }
}
