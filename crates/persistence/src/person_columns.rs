//! A person's columns, the same twelve in `applications` and `members`: the
//! fields of [`Applicant`] and the search keys derived from them, and in
//! `members` the key of the city, which the member search reads. One
//! writer for both tables, for a new row, an edit and the anonymisation, so
//! that a key is never stored without its field or a field left behind
//! when a person is erased.

use chrono::NaiveDate;
use kartei_domain::EmailAddress;
use kartei_domain::application::Applicant;
use kartei_domain::text::search_key;
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    Statement, TransactionTrait, Value,
};

use crate::entities::{application, member};
use crate::sql::Sql;
use crate::{RepoError, stale_marks};

/// Stands in for a birth date that is gone.
pub(crate) const NO_BIRTH_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};
/// Stands in for a postal code that is gone.
pub(crate) const NO_POSTAL_CODE: &str = "00000";

/// The comparison keys of a person, used for duplicates and search.
pub struct PersonKeys {
    pub first_name_key: String,
    pub last_name_key: String,
    pub email_key: Option<String>,
    pub city_key: String,
}

impl PersonKeys {
    pub fn of(person: &Applicant) -> Self {
        PersonKeys {
            first_name_key: search_key(&person.first_name),
            last_name_key: search_key(&person.last_name),
            email_key: person.email.as_ref().map(EmailAddress::comparison_key),
            city_key: search_key(&person.city),
        }
    }
}

/// A table that stores a person in the twelve columns.
pub(crate) trait PersonTable: ColumnTrait {
    /// Only the member search looks for a city, so only `members` keeps
    /// its key.
    const CITY_KEY: Option<Self>;
    const FIRST_NAME: Self;
    const LAST_NAME: Self;
    const FIRST_NAME_KEY: Self;
    const LAST_NAME_KEY: Self;
    const DATE_OF_BIRTH: Self;
    const EMAIL: Self;
    const EMAIL_KEY: Self;
    const PHONE: Self;
    const STREET: Self;
    const POSTAL_CODE: Self;
    const CITY: Self;
    const INTERESTS: Self;
}

macro_rules! person_table {
    ($column:ty, $city_key:expr) => {
        impl PersonTable for $column {
            const CITY_KEY: Option<Self> = $city_key;
            const FIRST_NAME: Self = Self::FirstName;
            const LAST_NAME: Self = Self::LastName;
            const FIRST_NAME_KEY: Self = Self::FirstNameKey;
            const LAST_NAME_KEY: Self = Self::LastNameKey;
            const DATE_OF_BIRTH: Self = Self::DateOfBirth;
            const EMAIL: Self = Self::Email;
            const EMAIL_KEY: Self = Self::EmailKey;
            const PHONE: Self = Self::Phone;
            const STREET: Self = Self::Street;
            const POSTAL_CODE: Self = Self::PostalCode;
            const CITY: Self = Self::City;
            const INTERESTS: Self = Self::Interests;
        }
    };
}

person_table!(application::Column, None);
person_table!(member::Column, Some(Self::CityKey));

/// What the columns hold for `person`.
pub(crate) fn values<C: PersonTable>(person: &Applicant) -> Vec<(C, Value)> {
    let keys = PersonKeys::of(person);
    let mut values = vec![
        (C::FIRST_NAME, person.first_name.clone().into()),
        (C::LAST_NAME, person.last_name.clone().into()),
        (C::FIRST_NAME_KEY, keys.first_name_key.into()),
        (C::LAST_NAME_KEY, keys.last_name_key.into()),
        (C::DATE_OF_BIRTH, person.date_of_birth.into()),
        (
            C::EMAIL,
            person.email.as_ref().map(|e| e.as_str().to_owned()).into(),
        ),
        (C::EMAIL_KEY, keys.email_key.into()),
        (C::PHONE, person.phone.clone().into()),
        (C::STREET, person.street.clone().into()),
        (
            C::POSTAL_CODE,
            person.postal_code.as_str().to_owned().into(),
        ),
        (C::CITY, person.city.clone().into()),
        (C::INTERESTS, serde_json::json!(person.interests).into()),
    ];
    values.extend(C::CITY_KEY.map(|column| (column, keys.city_key.into())));
    values
}

/// What the columns hold once the person is erased: blanks, and sentinels
/// where a column must not be empty.
pub(crate) fn erased<C: PersonTable>() -> Vec<(C, SimpleExpr)> {
    let none = || Expr::value(Option::<String>::None);
    let mut columns = vec![
        (C::FIRST_NAME, Expr::value("")),
        (C::LAST_NAME, Expr::value("")),
        (C::FIRST_NAME_KEY, Expr::value("")),
        (C::LAST_NAME_KEY, Expr::value("")),
        (C::DATE_OF_BIRTH, Expr::value(NO_BIRTH_DATE)),
        (C::EMAIL, none()),
        (C::EMAIL_KEY, none()),
        (C::PHONE, none()),
        (C::STREET, Expr::value("")),
        (C::POSTAL_CODE, Expr::value(NO_POSTAL_CODE)),
        (C::CITY, Expr::value("")),
        (C::INTERESTS, Expr::value(serde_json::json!([]))),
    ];
    columns.extend(C::CITY_KEY.map(|column| (column, Expr::value(""))));
    columns
}

/// The columns of `person` as the assignments of an UPDATE.
pub(crate) fn assignments<C: PersonTable>(person: &Applicant) -> Vec<(C, SimpleExpr)> {
    values(person)
        .into_iter()
        .map(|(column, value)| (column, Expr::value(value)))
        .collect()
}

/// Sets the columns of `person` on a row about to be inserted.
pub(crate) fn set_on<A>(row: &mut A, person: &Applicant) -> Result<(), DbErr>
where
    A: ActiveModelTrait,
    <A::Entity as EntityTrait>::Column: PersonTable,
{
    for (column, value) in values(person) {
        row.try_set(column, value)?;
    }
    Ok(())
}

/// Fills `members.city_key` for the rows written before the column existed,
/// which the migration that added it left blank and marked stale; `true`
/// when it did. Each distinct city's key is computed once, here, and joined
/// into the table in one pass.
pub(crate) async fn fill_city_keys_if_stale(db: &DatabaseConnection) -> Result<bool, RepoError> {
    if !stale_marks::is_set(db, migration::CITY_KEYS_STALE).await? {
        return Ok(false);
    }
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let cities = txn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT DISTINCT city FROM members",
        ))
        .await?
        .iter()
        .map(|row| row.try_get::<String>("", "city"))
        .collect::<Result<Vec<_>, _>>()?;
    txn.execute_unprepared(
        "CREATE TEMPORARY TABLE city_keys \
         (city VARCHAR(100) PRIMARY KEY, city_key VARCHAR(200) NOT NULL)",
    )
    .await?;
    for chunk in cities.chunks(1000) {
        let mut sql = Sql::new(backend);
        let rows = chunk
            .iter()
            .map(|city| {
                format!(
                    "({}, {})",
                    sql.bind(city.as_str()),
                    sql.bind(search_key(city))
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        txn.execute_raw(sql.statement(format!(
            "INSERT INTO city_keys (city, city_key) VALUES {rows}"
        )))
        .await?;
    }
    txn.execute_unprepared(
        "UPDATE members SET city_key = city_keys.city_key FROM city_keys \
         WHERE city_keys.city = members.city AND members.city_key <> city_keys.city_key",
    )
    .await?;
    txn.execute_unprepared("DROP TABLE city_keys").await?;
    stale_marks::clear(&txn, migration::CITY_KEYS_STALE).await?;
    txn.commit().await?;
    Ok(true)
}
