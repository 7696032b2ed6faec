//! The demo organisation: the state association of Saxony, its 13 districts
//! with the real postal codes (`demo/saxony-postal-codes.csv`, Eurostat /
//! GISCO, see `demo/NOTICE.md`), three local branches, and one staff account
//! per role.

use std::collections::BTreeMap;

use kartei_domain::{EmailAddress, OrgUnit, OrgUnitKind, PostalCode, Role};
use kartei_persistence::org_units::{self, NewOrgUnit};
use kartei_persistence::routing::{self, RoutingRule};
use kartei_persistence::{Tx, unit_of_work, users};
use secrecy::SecretString;
use uuid::Uuid;

use crate::accounts::{self, AccountInput};
use crate::{App, AppError, AppResult};

const POSTAL_CODES: &str = include_str!("../demo/saxony-postal-codes.csv");

/// The password of every demo account. The demo is for trying kartei out;
/// production never seeds it (`demo.seed_on_empty` is false there).
pub const DEMO_PASSWORD: &str = "kartei-demo-2026";

/// District key (Kreisschlüssel) → short code, and whether it is a city
/// (Stadtverband) or a rural district (Kreisverband).
const DISTRICTS: [(&str, &str, bool); 13] = [
    ("14612", "DD", true),
    ("14625", "BZ", false),
    ("14626", "GR", false),
    ("14627", "MEI", false),
    ("14628", "PIR", false),
    ("14511", "C", true),
    ("14521", "ERZ", false),
    ("14522", "FG", false),
    ("14523", "V", false),
    ("14524", "Z", false),
    ("14713", "L", true),
    ("14729", "LL", false),
    ("14730", "TDO", false),
];

/// Local branches: short code, name, district short code, postal codes routed
/// to the branch instead of its district.
const BRANCHES: [(&str, &str, &str, &[&str]); 3] = [
    (
        "DD-NEU",
        "Ortsverband Dresden-Neustadt",
        "DD",
        &["01097", "01099"],
    ),
    (
        "L-SUED",
        "Ortsverband Leipzig-Süd",
        "L",
        &["04275", "04277"],
    ),
    ("FG-FRE", "Ortsverband Freiberg", "FG", &["09599"]),
];

/// The demo staff: e-mail, display name, role, short code of the unit.
pub const DEMO_ACCOUNTS: [(&str, &str, Role, &str); 5] = [
    ("admin@kartei.example", "Administration", Role::Admin, "SN"),
    (
        "lgs@kartei.example",
        "Landesgeschäftsstelle",
        Role::StateOffice,
        "SN",
    ),
    (
        "kv-dresden@kartei.example",
        "Kreisgeschäftsstelle Dresden",
        Role::DistrictOffice,
        "DD",
    ),
    (
        "ov-dresden-neustadt@kartei.example",
        "Ortsverband Dresden-Neustadt",
        Role::LocalBranch,
        "DD-NEU",
    ),
    (
        "vorstand@kartei.example",
        "Landesvorstand",
        Role::Board,
        "SN",
    ),
];

struct CsvRow {
    postal_code: PostalCode,
    kreis_key: String,
    district: String,
}

fn rows() -> AppResult<Vec<CsvRow>> {
    let bad =
        |line: usize| AppError::internal(anyhow::anyhow!("demo postal codes: bad line {line}"));
    POSTAL_CODES
        .lines()
        .enumerate()
        .skip(1)
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            let fields: Vec<&str> = line.trim().split(',').collect();
            let [code, _nuts, kreis_key, district] = fields[..] else {
                return Err(bad(number + 1));
            };
            Ok(CsvRow {
                postal_code: PostalCode::parse(code).map_err(|_| bad(number + 1))?,
                kreis_key: kreis_key.to_owned(),
                district: district.to_owned(),
            })
        })
        .collect()
}

/// What seeding did, for the message printed afterwards.
pub struct SeedReport {
    pub created_units: usize,
    pub created_accounts: usize,
}

/// Loads the demo organisation. Safe to run twice: units and accounts that
/// exist (by short code, by e-mail) are kept as they are.
pub async fn seed_demo(app: &App) -> AppResult<SeedReport> {
    let now = app.now();
    let mut created_units = 0;
    let ensure = |unit: NewOrgUnit| async move {
        unit_of_work(&app.db, async |txn: &Tx| -> AppResult<(OrgUnit, bool)> {
            match org_units::find_by_short_code(txn, &unit.short_code).await? {
                Some(existing) => Ok((existing, false)),
                None => Ok((org_units::insert(txn, unit, now).await?, true)),
            }
        })
        .await
    };

    let (state_unit, created) = ensure(new_unit(
        OrgUnitKind::State,
        "Landesverband Sachsen",
        "SN",
        None,
    ))
    .await?;
    created_units += usize::from(created);

    let rows = rows()?;
    let mut by_code: BTreeMap<String, OrgUnit> = BTreeMap::new();
    for (kreis_key, short_code, city) in DISTRICTS {
        let name = rows
            .iter()
            .find(|r| r.kreis_key == kreis_key)
            .map(|r| r.district.clone())
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("district {kreis_key} missing")))?;
        let label = if city { "Stadtverband" } else { "Kreisverband" };
        let (unit, created) = ensure(new_unit(
            OrgUnitKind::District,
            &format!("{label} {name}"),
            short_code,
            Some(state_unit.id),
        ))
        .await?;
        created_units += usize::from(created);
        by_code.insert(short_code.to_owned(), unit);
    }
    let mut branch_of_code: BTreeMap<&str, Uuid> = BTreeMap::new();
    for (short_code, name, district, codes) in BRANCHES {
        let parent = by_code
            .get(district)
            .map(|d| d.id)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("district {district} missing")))?;
        let (unit, created) =
            ensure(new_unit(OrgUnitKind::Local, name, short_code, Some(parent))).await?;
        created_units += usize::from(created);
        for code in codes {
            branch_of_code.insert(code, unit.id);
        }
        by_code.insert(short_code.to_owned(), unit);
    }
    by_code.insert("SN".to_owned(), state_unit);

    if routing::all(&app.db).await?.is_empty() {
        let district_of_key: BTreeMap<&str, &str> = DISTRICTS
            .iter()
            .map(|(key, code, _)| (*key, *code))
            .collect();
        let mut rules = Vec::with_capacity(rows.len());
        for row in &rows {
            let unit_id = match branch_of_code.get(row.postal_code.as_str()) {
                Some(branch) => *branch,
                None => district_of_key
                    .get(row.kreis_key.as_str())
                    .and_then(|code| by_code.get(*code))
                    .map(|unit| unit.id)
                    .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown district key")))?,
            };
            rules.push(RoutingRule {
                postal_code: row.postal_code.clone(),
                org_unit_id: unit_id,
            });
        }
        unit_of_work(&app.db, async |txn: &Tx| -> AppResult<()> {
            Ok(routing::replace_all(txn, rules).await?)
        })
        .await?;
    }

    let mut created_accounts = 0;
    for (email, name, role, unit_code) in DEMO_ACCOUNTS {
        let address = EmailAddress::parse(email).map_err(AppError::internal)?;
        if users::find_for_login(&app.db, &address).await?.is_some() {
            continue;
        }
        let org_unit_id = by_code.get(unit_code).map(|unit| unit.id);
        accounts::create_by_operator(
            app,
            AccountInput {
                email: email.to_owned(),
                display_name: name.to_owned(),
                role,
                org_unit_id,
                password: SecretString::from(DEMO_PASSWORD),
            },
        )
        .await?;
        created_accounts += 1;
    }
    Ok(SeedReport {
        created_units,
        created_accounts,
    })
}

fn new_unit(
    kind: OrgUnitKind,
    name: &str,
    short_code: &str,
    parent_id: Option<Uuid>,
) -> NewOrgUnit {
    NewOrgUnit {
        id: Uuid::now_v7(),
        kind,
        name: name.to_owned(),
        short_code: short_code.to_owned(),
        parent_id,
        email: EmailAddress::parse(&format!("{}@kartei.example", short_code.to_lowercase())).ok(),
    }
}

/// The lines printed after seeding, telling a newcomer how to log in.
pub fn login_help(address: &str) -> String {
    let mut text = format!(
        "Demo organisation loaded (Saxony). Sign in at http://{address}/ (the office's pages),\n\
         read the API at http://{address}/docs, or log in with\n  \
         curl -s http://{address}/api/v1/auth/login -H 'content-type: application/json' \\\n    \
         -d '{{\"email\":\"admin@kartei.example\",\"password\":\"{DEMO_PASSWORD}\"}}'\n\
         Demo accounts (password {DEMO_PASSWORD}):\n"
    );
    for (email, _, role, unit) in DEMO_ACCOUNTS {
        text.push_str(&format!("  {email:<38} {role:<16} {unit}\n"));
    }
    text
}
