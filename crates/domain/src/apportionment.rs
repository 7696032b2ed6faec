//! A party's delegate key: how many seats of a party congress each district
//! gets from its member count, as party statutes write it. Die Linke's
//! federal statutes give mandates "paarweise im Divisorenverfahren nach
//! Adams"; a state statute (NRW § 16 (5)) gives 220 mandates to the
//! districts "paarweise nach Hare-Niemeyer nach Vergabe eines doppelten
//! Grundmandats". A [`Request`] says which of these a statute asks for;
//! [`apportion`] answers the seats.
//!
//! How the seats are given:
//!
//! 1. Base seats (Grundmandate) first: every district gets
//!    [`Request::base_seats`], whatever its size.
//! 2. The seats that remain go in proportion to the members, by one of the
//!    [`Method`]s. With [`Request::pairs`] the distribution works on units
//!    of two seats (so that delegations can follow the statutes' gender
//!    quota): `seats / 2` pairs, of which `base_seats / 2` per
//!    district are base pairs, and each pair won counts as two seats. Both
//!    numbers must then be even.
//!
//! Choices the statutes leave open, made here and kept to:
//!
//! - The divisor sequence counts the units a district won by the method,
//!   not its base seats: base seats are given before and apart from the
//!   proportional distribution, so a district's first proportional unit is
//!   divided by the first divisor (1 for D'Hondt, 0.5 for Sainte-Laguë, 0
//!   for Adams) however many base seats it holds.
//! - What decided is reported in the unit distributed: pairs when seats go
//!   in pairs, seats otherwise. A Hare-Niemeyer quota of 2.6 in pairs is
//!   2.6 pairs, and its remainder 0.6 is the one that was compared; the
//!   remainder of the same quota in seats (5.2) would say nothing.
//! - Adams divides a district's first unit by 0: a district with members
//!   and no unit yet comes before every district that has one, so every
//!   district with members gets a unit first when there are enough. That
//!   quotient is infinite and reported as `None`, like the quotient of a
//!   district that won no unit ([`Basis::Quotient`] tells which: the
//!   district's seats exceed its base seats).
//! - A district without members never wins a proportional seat. With no
//!   members anywhere only the base seats can be given: asking for more is
//!   [`ApportionmentError::NoMembers`] rather than a distribution by lot
//!   or in equal shares, which no statute asks for.
//!
//! Ties: every comparison is exact, in integers (remainders and quotients
//! are compared by cross-multiplying in `u128`, never as floats; floats
//! only report). When two districts tie for a unit (equal remainder, or
//! equal quotient), it goes to the district with more members; between
//! districts with as many members, to the one that comes first in the
//! input. That last step is no rule of any statute but the order of a
//! list, where a statute would have the lot decide (Losentscheid): so when
//! it decided the last unit, every district of that tie, the ones that won
//! and the ones that lost, is marked with [`DistrictSeats::tie`], and the
//! office knows to draw lots. Ties the member counts decide, and ties
//! between units that all go out, are not marked; a statute that draws
//! lots even between districts of different size has to look further than
//! the mark.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// How the seats beyond the base seats follow the members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Largest remainder (Hamilton): every district gets the whole part of
    /// its quota `members × units / total members`, the units left over go
    /// to the largest fractional parts.
    HareNiemeyer,
    /// Highest averages with divisors 0.5, 1.5, 2.5, … (Webster).
    SainteLague,
    /// Highest averages with divisors 0, 1, 2, …: every district with
    /// members first gets one unit, and small districts fare best.
    Adams,
    /// Highest averages with divisors 1, 2, 3, … (Jefferson): large
    /// districts fare best.
    Dhondt,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Method::HareNiemeyer,
        Method::SainteLague,
        Method::Adams,
        Method::Dhondt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::HareNiemeyer => "hare-niemeyer",
            Method::SainteLague => "sainte-lague",
            Method::Adams => "adams",
            Method::Dhondt => "dhondt",
        }
    }

    /// The divisor sequence of a highest-averages method; `None` for
    /// Hare-Niemeyer.
    fn divisors(self) -> Option<Divisors> {
        match self {
            Method::HareNiemeyer => None,
            Method::SainteLague => Some(Divisors::SainteLague),
            Method::Adams => Some(Divisors::Adams),
            Method::Dhondt => Some(Divisors::Dhondt),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown method; expected one of hare-niemeyer, sainte-lague, adams, dhondt")]
pub struct UnknownMethod;

impl FromStr for Method {
    type Err = UnknownMethod;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Method::ALL
            .into_iter()
            .find(|method| method.as_str() == s)
            .ok_or(UnknownMethod)
    }
}

/// Why a delegate key cannot be computed as asked. The field errors
/// ([`ApportionmentError::field`]) read as the message beside the query
/// parameter; the others are about the districts and their members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApportionmentError {
    #[error(transparent)]
    UnknownMethod(#[from] UnknownMethod),
    #[error("must be even when seats are given in pairs")]
    SeatsOdd,
    /// Base seats are given in pairs too, so that a district's delegation
    /// is whole pairs.
    #[error("must be even when seats are given in pairs")]
    BaseSeatsOdd,
    #[error("must be at least {needed}: {base_seats} base seats for each of {districts} districts")]
    TooFewSeats {
        needed: u64,
        base_seats: u32,
        districts: usize,
    },
    #[error("There are no districts to give seats to.")]
    NoDistricts,
    /// Seats beyond the base seats follow the members; with none anywhere
    /// nothing says who gets them.
    #[error("There are no members to distribute seats by; only the base seats can be given.")]
    NoMembers,
}

impl ApportionmentError {
    /// The query parameter of a field error; `None` when the districts
    /// themselves do not allow a key.
    pub fn field(self) -> Option<&'static str> {
        match self {
            ApportionmentError::UnknownMethod(_) => Some("method"),
            ApportionmentError::SeatsOdd | ApportionmentError::TooFewSeats { .. } => Some("seats"),
            ApportionmentError::BaseSeatsOdd => Some("base_seats"),
            ApportionmentError::NoDistricts | ApportionmentError::NoMembers => None,
        }
    }
}

/// What a statute asks for: how many seats, by which method, in pairs or
/// not, and how many base seats each district gets first. Built through
/// [`Request::new`], so that seats given in pairs are even.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Request {
    seats: u32,
    method: Method,
    pairs: bool,
    base_seats: u32,
}

impl Request {
    /// `seats` in all, `base_seats` per district. Whether the seats cover
    /// the base seats depends on the districts and is checked by
    /// [`apportion`].
    pub fn new(
        seats: u32,
        method: Method,
        pairs: bool,
        base_seats: u32,
    ) -> Result<Request, ApportionmentError> {
        if pairs && !seats.is_multiple_of(2) {
            Err(ApportionmentError::SeatsOdd)
        } else if pairs && !base_seats.is_multiple_of(2) {
            Err(ApportionmentError::BaseSeatsOdd)
        } else {
            Ok(Request {
                seats,
                method,
                pairs,
                base_seats,
            })
        }
    }

    pub fn seats(self) -> u32 {
        self.seats
    }

    pub fn method(self) -> Method {
        self.method
    }

    pub fn pairs(self) -> bool {
        self.pairs
    }

    /// Base seats per district (Grundmandate), given before the
    /// proportional distribution.
    pub fn base_seats(self) -> u32 {
        self.base_seats
    }

    /// The seats in one unit of the distribution: 2 in pairs, else 1.
    pub fn unit(self) -> u32 {
        if self.pairs { 2 } else { 1 }
    }
}

/// The delegate key: the seats of every district, in the order the member
/// counts were given.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Apportionment {
    #[serde(flatten)]
    pub request: Request,
    pub districts: Vec<DistrictSeats>,
    /// For a divisor method, the quotient of the last unit given: the
    /// effective divisor boundary, members per unit, which every district
    /// beat or met for each unit it won. `None` for Hare-Niemeyer, when no
    /// unit was given in proportion, or when the last one was an Adams
    /// first unit (its quotient is infinite).
    pub last_quotient: Option<f64>,
}

impl Apportionment {
    /// Whether the input order decided the last unit, so the statute's lot
    /// may have to.
    pub fn tie(&self) -> bool {
        self.districts.iter().any(|d| d.tie)
    }
}

/// One district's seats and what decided them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DistrictSeats {
    pub members: u64,
    /// All its seats: base seats and the seats won in proportion, pairs
    /// counted as two.
    pub seats: u32,
    pub base_seats: u32,
    #[serde(flatten)]
    pub basis: Basis,
    /// The district tied for the last unit with another of as many members,
    /// and only the input order decided between them: see the module
    /// documentation.
    pub tie: bool,
}

/// What decided a district's proportional units, in the unit distributed
/// (pairs when seats go in pairs).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Basis {
    /// Hare-Niemeyer: the district's quota of the units beyond the base
    /// seats, and its fractional part, which competed for the units left
    /// over.
    Remainder { quota: f64, remainder: f64 },
    /// A divisor method: members divided by the divisor of the last unit
    /// the district won. `None` when it won none, or when its only unit was
    /// an Adams first unit, whose quotient is infinite.
    Quotient { last_quotient: Option<f64> },
}

/// The seats of each district with `members[i]` members, as `request`
/// asks. Every district gets its base seats; the rest follow the members
/// by the request's method.
pub fn apportion(request: Request, members: &[u64]) -> Result<Apportionment, ApportionmentError> {
    if members.is_empty() {
        return Err(ApportionmentError::NoDistricts);
    }
    let needed = u64::from(request.base_seats).saturating_mul(members.len() as u64);
    if needed > u64::from(request.seats) {
        return Err(ApportionmentError::TooFewSeats {
            needed,
            base_seats: request.base_seats,
            districts: members.len(),
        });
    }
    let unit = request.unit();
    // At most `seats`, so it fits.
    let rest = (u64::from(request.seats) - needed) / u64::from(unit);
    let rest = u32::try_from(rest).unwrap_or(u32::MAX);
    let total: u128 = members.iter().map(|&m| u128::from(m)).sum();
    if rest > 0 && total == 0 {
        return Err(ApportionmentError::NoMembers);
    }
    let shares = match request.method.divisors() {
        None => largest_remainder(members, total, rest),
        Some(divisors) => highest_averages(divisors, members, total, rest),
    };
    let districts = members
        .iter()
        .zip(shares.districts)
        .map(|(&members, share)| DistrictSeats {
            members,
            seats: request.base_seats + share.won * unit,
            base_seats: request.base_seats,
            basis: share.basis,
            tie: share.tie,
        })
        .collect();
    Ok(Apportionment {
        request,
        districts,
        last_quotient: shares.last_quotient,
    })
}

/// The proportional units of every district, before they are counted in
/// seats.
struct Shares {
    districts: Vec<Share>,
    last_quotient: Option<f64>,
}

struct Share {
    won: u32,
    basis: Basis,
    tie: bool,
}

/// Hare-Niemeyer: quota `m × rest / total` as the exact fraction
/// `whole + remainder / total`, the units left over to the largest
/// remainders. The remainders sum to less than one unit per district that
/// has one, so a district without members (remainder 0) never gets one.
fn largest_remainder(members: &[u64], total: u128, rest: u32) -> Shares {
    let quota = |m: u64| {
        let numerator = u128::from(m) * u128::from(rest);
        match total {
            0 => (0, 0),
            _ => (numerator / total, numerator % total),
        }
    };
    let quotas: Vec<(u128, u128)> = members.iter().map(|&m| quota(m)).collect();
    let whole: u128 = quotas.iter().map(|(whole, _)| whole).sum();
    // Less than the number of districts, since every remainder is below one.
    let left_over = usize::try_from(u128::from(rest).saturating_sub(whole)).unwrap_or(0);

    // Largest remainder first; then more members; then the input order.
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by(|&a, &b| {
        quotas[b]
            .1
            .cmp(&quotas[a].1)
            .then(members[b].cmp(&members[a]))
            .then(a.cmp(&b))
    });
    let key = |i: usize| (quotas[i].1, members[i]);
    let undecided = match (left_over.checked_sub(1), order.get(left_over)) {
        (Some(last), Some(&first_out)) => {
            let last_in = order[last];
            (key(last_in) == key(first_out)).then(|| key(last_in))
        }
        _ => None,
    };
    let mut won: Vec<u128> = quotas.iter().map(|(whole, _)| *whole).collect();
    for &i in &order[..left_over] {
        won[i] += 1;
    }

    let fraction = |numerator: u128| match total {
        0 => 0.0,
        _ => numerator as f64 / total as f64,
    };
    let districts = (0..members.len())
        .map(|i| {
            let (whole, remainder) = quotas[i];
            Share {
                // At most `rest`.
                won: u32::try_from(won[i]).unwrap_or(rest),
                basis: Basis::Remainder {
                    quota: whole as f64 + fraction(remainder),
                    remainder: fraction(remainder),
                },
                tie: undecided == Some(key(i)),
            }
        })
        .collect();
    Shares {
        districts,
        last_quotient: None,
    }
}

/// The divisors of a highest-averages method, by the units a district has
/// won so far (not counting its base seats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Divisors {
    Dhondt,
    SainteLague,
    Adams,
}

impl Divisors {
    /// Twice the divisor of the next unit after `won`, so that
    /// Sainte-Laguë's halves stay integers.
    fn twice(self, won: u32) -> u128 {
        let won = u128::from(won);
        match self {
            Divisors::Dhondt => 2 * won + 2,
            Divisors::SainteLague => 2 * won + 1,
            Divisors::Adams => 2 * won,
        }
    }

    /// How many units of a district have a quotient above `total / scale`,
    /// where `scaled = members × scale`: the units `s` with divisor(s) ×
    /// total < scaled.
    fn above(self, scaled: u128, total: u128) -> u128 {
        if scaled == 0 {
            return 0;
        }
        match self {
            // (s + 1) × total < scaled
            Divisors::Dhondt => (scaled - 1) / total,
            // (2s + 1) × total < 2 × scaled: the odd numbers up to
            // the largest j with j × total < 2 × scaled.
            Divisors::SainteLague => ((2 * scaled - 1) / total).div_ceil(2),
            // s × total < scaled
            Divisors::Adams => (scaled - 1) / total + 1,
        }
    }
}

/// A district's claim to its next unit (or the last it won): its members
/// over a divisor, compared as fractions.
#[derive(Debug, Clone, Copy)]
struct Claim {
    members: u64,
    /// Twice the divisor; 0 for Adams's first unit, an infinite quotient.
    twice_divisor: u128,
}

impl Claim {
    fn of(divisors: Divisors, members: u64, won: u32) -> Claim {
        Claim {
            members,
            twice_divisor: divisors.twice(won),
        }
    }

    /// Quotient first, exactly (`a/x` against `b/y` as `a·y` against
    /// `b·x`, which also puts a divisor 0 above every finite quotient);
    /// then more members. Only for claims of districts with members: 0/0
    /// has no place in this order.
    fn cmp(self, other: Claim) -> Ordering {
        let own = u128::from(self.members) * other.twice_divisor;
        let theirs = u128::from(other.members) * self.twice_divisor;
        own.cmp(&theirs).then(self.members.cmp(&other.members))
    }

    fn quotient(self) -> Option<f64> {
        match self.twice_divisor {
            0 => None,
            twice => Some(2.0 * self.members as f64 / twice as f64),
        }
    }
}

/// Highest averages: unit by unit to the district with the highest claim,
/// ties to more members, then to the input order.
fn highest_averages(divisors: Divisors, members: &[u64], total: u128, rest: u32) -> Shares {
    let mut won = head_start(divisors, members, total, rest);
    let given: u32 = won.iter().sum();
    for _ in given..rest {
        // The greatest claim; `max_by` keeps the last of equals, so the
        // input order is compared the other way round.
        let best = (0..members.len())
            .filter(|&i| members[i] > 0)
            .max_by(|&a, &b| {
                Claim::of(divisors, members[a], won[a])
                    .cmp(Claim::of(divisors, members[b], won[b]))
                    .then(b.cmp(&a))
            });
        match best {
            Some(i) => won[i] += 1,
            // Excluded by the caller: units to give and no members.
            None => break,
        }
    }

    // The last unit given has the lowest claim of all units won, the next
    // one would go to the highest claim still open. Where they are equal
    // in quotient and members, only the input order decided.
    let last_won = |i: usize| (won[i] > 0).then(|| Claim::of(divisors, members[i], won[i] - 1));
    let next = |i: usize| (members[i] > 0).then(|| Claim::of(divisors, members[i], won[i]));
    let last_given = (0..members.len())
        .filter_map(last_won)
        .min_by(|a, b| a.cmp(*b));
    let next_open = (0..members.len()).filter_map(next).max_by(|a, b| a.cmp(*b));
    let undecided = match (last_given, next_open) {
        (Some(last), Some(next)) if last.cmp(next) == Ordering::Equal => Some(last),
        _ => None,
    };
    let in_tie = |claim: Option<Claim>| matches!((undecided, claim), (Some(tie), Some(claim)) if tie.cmp(claim) == Ordering::Equal);

    let districts = (0..members.len())
        .map(|i| Share {
            won: won[i],
            basis: Basis::Quotient {
                last_quotient: last_won(i).and_then(Claim::quotient),
            },
            tie: in_tie(last_won(i)) || in_tie(next(i)),
        })
        .collect();
    Shares {
        districts,
        last_quotient: last_given.and_then(Claim::quotient),
    }
}

/// The units every district wins before the last few, so that thousands
/// of seats do not take thousands of rounds. With `scale = rest −
/// districts`, every unit whose quotient is above `total / scale` goes
/// out before any unit at or below it, so giving them all at once is what
/// giving them one by one would do. Their number is at most `rest` (each
/// divisor after `s` units is at least `s`) and at least `rest − 2 ×
/// districts` (each is at most `s + 1`), so at most two rounds per
/// district remain.
fn head_start(divisors: Divisors, members: &[u64], total: u128, rest: u32) -> Vec<u32> {
    let none = vec![0; members.len()];
    let districts = members.len() as u128;
    let Some(scale) = u128::from(rest).checked_sub(districts) else {
        return none;
    };
    if scale == 0 || total == 0 {
        return none;
    }
    let start: Vec<u128> = members
        .iter()
        .map(|&m| divisors.above(u128::from(m) * scale, total))
        .collect();
    if start.iter().sum::<u128>() > u128::from(rest) {
        // Cannot happen (see above); one by one is right either way.
        return none;
    }
    start
        .into_iter()
        .map(|units| u32::try_from(units).unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(seats: u32, method: Method, pairs: bool, base_seats: u32) -> Request {
        match Request::new(seats, method, pairs, base_seats) {
            Ok(request) => request,
            Err(e) => panic!("{seats} seats, {base_seats} base seats: {e}"),
        }
    }

    fn key(method: Method, seats: u32, pairs: bool, members: &[u64]) -> Apportionment {
        match apportion(request(seats, method, pairs, 0), members) {
            Ok(key) => key,
            Err(e) => panic!("{method} {seats}: {e}"),
        }
    }

    fn seats(method: Method, seats: u32, pairs: bool, members: &[u64]) -> Vec<u32> {
        let key = key(method, seats, pairs, members);
        key.districts.iter().map(|d| d.seats).collect()
    }

    fn quotients(key: &Apportionment) -> Vec<Option<f64>> {
        key.districts
            .iter()
            .map(|d| match d.basis {
                Basis::Quotient { last_quotient } => last_quotient,
                Basis::Remainder { .. } => panic!("a remainder from a divisor method"),
            })
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    const NINE_SIX_TWO: [u64; 3] = [9, 6, 2];

    #[test]
    fn hare_niemeyer_gives_the_left_over_seats_to_the_largest_remainders() {
        // 17 members, 5 seats. Quotas 45/17 = 2.647, 30/17 = 1.765,
        // 10/17 = 0.588: whole parts 2, 1, 0 give 3 seats; the 2 left go
        // to the remainders .765 and .647.
        let key = key(Method::HareNiemeyer, 5, false, &NINE_SIX_TWO);
        assert_eq!(
            key.districts.iter().map(|d| d.seats).collect::<Vec<_>>(),
            [3, 2, 0]
        );
        assert_eq!(key.last_quotient, None);
        assert!(!key.tie());
        let Basis::Remainder { quota, remainder } = key.districts[1].basis else {
            panic!("no remainder from Hare-Niemeyer");
        };
        assert!(close(quota, 30.0 / 17.0) && close(remainder, 13.0 / 17.0));
    }

    #[test]
    fn adams_gives_every_district_with_members_a_seat_first() {
        // 5 seats. Divisor 0 first: 9/0, 6/0, 2/0 are infinite, one seat
        // each (3). Then 9/1 = 9 (first), 6/1 = 6 (second); the next
        // would be 9/2 = 4.5.
        let key = key(Method::Adams, 5, false, &NINE_SIX_TWO);
        assert_eq!(
            key.districts.iter().map(|d| d.seats).collect::<Vec<_>>(),
            [2, 2, 1]
        );
        assert_eq!(quotients(&key), [Some(9.0), Some(6.0), None]);
        assert_eq!(key.last_quotient, Some(6.0));
        assert!(!key.tie());
    }

    #[test]
    fn in_pairs_each_pair_counts_two_seats() {
        // 10 seats are 5 pairs, distributed as 5 seats above: quotas
        // 2.647, 1.765, 0.588 pairs give 3, 2, 0 pairs by Hare-Niemeyer;
        // Adams gives 2, 2, 1 pairs.
        assert_eq!(
            seats(Method::HareNiemeyer, 10, true, &NINE_SIX_TWO),
            [6, 4, 0]
        );
        assert_eq!(seats(Method::Adams, 10, true, &NINE_SIX_TWO), [4, 4, 2]);
        // The quota is reported in pairs, the unit distributed.
        let key = key(Method::HareNiemeyer, 10, true, &NINE_SIX_TWO);
        assert!(matches!(
            key.districts[0].basis,
            Basis::Remainder { quota, .. } if close(quota, 45.0 / 17.0)
        ));
    }

    #[test]
    fn dhondt_and_sainte_lague_with_nine_six_two() {
        // D'Hondt, divisors 1, 2, 3: 9, 6, 4.5, then 3 twice (9/3 and 6/2,
        // both go out). The next would be 2 (6/3 and 2/1).
        let dhondt = key(Method::Dhondt, 5, false, &NINE_SIX_TWO);
        assert_eq!(
            dhondt.districts.iter().map(|d| d.seats).collect::<Vec<_>>(),
            [3, 2, 0]
        );
        assert_eq!(quotients(&dhondt), [Some(3.0), Some(3.0), None]);
        assert_eq!(dhondt.last_quotient, Some(3.0));
        assert!(!dhondt.tie());
        // Sainte-Laguë, divisors 0.5, 1.5, 2.5: 18, 12, 6, then 4 twice
        // (6/1.5 and 2/0.5, both go out). The next would be 3.6 (9/2.5).
        let sainte_lague = key(Method::SainteLague, 5, false, &NINE_SIX_TWO);
        assert_eq!(
            sainte_lague
                .districts
                .iter()
                .map(|d| d.seats)
                .collect::<Vec<_>>(),
            [2, 2, 1]
        );
        assert_eq!(quotients(&sainte_lague), [Some(6.0), Some(4.0), Some(4.0)]);
    }

    #[test]
    fn the_four_methods_can_give_four_keys() {
        // 38, 13, 4 members (55), 6 seats.
        let members = [38, 13, 4];
        // Hare-Niemeyer: quotas 228/55 = 4.145, 78/55 = 1.418,
        // 24/55 = 0.436; whole parts 4 + 1 + 0 = 5, the sixth seat to the
        // largest remainder, .436 (the smallest district).
        assert_eq!(seats(Method::HareNiemeyer, 6, false, &members), [4, 1, 1]);
        // D'Hondt: 38, 19, 13 (13/1), 12.67, 9.5, 7.6 (38/5); the next
        // would be 6.5 (13/2).
        let dhondt = key(Method::Dhondt, 6, false, &members);
        assert_eq!(
            dhondt.districts.iter().map(|d| d.seats).collect::<Vec<_>>(),
            [5, 1, 0]
        );
        assert!(dhondt.last_quotient.is_some_and(|q| close(q, 7.6)));
        // Sainte-Laguë: 76, 26 (13/0.5), 25.33, 15.2, 10.86 (38/3.5),
        // 8.67 (13/1.5); the next would be 8.44 (38/4.5), then 8 (4/0.5).
        let sainte_lague = key(Method::SainteLague, 6, false, &members);
        assert_eq!(
            sainte_lague
                .districts
                .iter()
                .map(|d| d.seats)
                .collect::<Vec<_>>(),
            [4, 2, 0]
        );
        assert!(
            sainte_lague
                .last_quotient
                .is_some_and(|q| close(q, 13.0 / 1.5))
        );
        // Adams: one seat each (3), then 38/1, 38/2 = 19, 13/1; the next
        // would be 38/3 = 12.67.
        let adams = key(Method::Adams, 6, false, &members);
        assert_eq!(
            adams.districts.iter().map(|d| d.seats).collect::<Vec<_>>(),
            [3, 2, 1]
        );
        assert_eq!(adams.last_quotient, Some(13.0));
    }

    #[test]
    fn a_tie_between_equal_districts_goes_by_input_order_and_is_marked() {
        // 3, 3, 4 members (10), 2 seats: quotas 0.6, 0.6, 0.8, no whole
        // seat. The first goes to .8; .6 and .6 tie with 3 members each,
        // and the first in the list gets the second seat.
        let hare = key(Method::HareNiemeyer, 2, false, &[3, 3, 4]);
        assert_eq!(
            hare.districts.iter().map(|d| d.seats).collect::<Vec<_>>(),
            [1, 0, 1]
        );
        assert_eq!(
            hare.districts.iter().map(|d| d.tie).collect::<Vec<_>>(),
            [true, true, false]
        );
        assert!(hare.tie());
        // The same by D'Hondt: 4/1, then 3/1 and 3/1 tie.
        let dhondt = key(Method::Dhondt, 2, false, &[3, 3, 4]);
        assert_eq!(
            dhondt.districts.iter().map(|d| d.seats).collect::<Vec<_>>(),
            [1, 0, 1]
        );
        assert_eq!(
            dhondt.districts.iter().map(|d| d.tie).collect::<Vec<_>>(),
            [true, true, false]
        );
        assert_eq!(dhondt.last_quotient, Some(3.0));
    }

    #[test]
    fn a_tie_the_members_decide_is_no_tie_for_the_lot() {
        // Sainte-Laguë, 4 seats for 9, 6, 2: 18, 12, 6, then 4 twice
        // (6/1.5 and 2/0.5): the fourth seat to the district with more
        // members.
        let sainte_lague = key(Method::SainteLague, 4, false, &NINE_SIX_TWO);
        assert_eq!(
            sainte_lague
                .districts
                .iter()
                .map(|d| d.seats)
                .collect::<Vec<_>>(),
            [2, 2, 0]
        );
        assert!(!sainte_lague.tie());
        // Hare-Niemeyer, 7 seats for 34, 4, 11 (49): quotas 238/49 =
        // 4 + 42/49, 28/49 = 0 + 28/49, 77/49 = 1 + 28/49. Whole parts 5;
        // the sixth seat to 42/49, the seventh to the larger of the two
        // equal remainders, though it comes later in the list.
        let hare = key(Method::HareNiemeyer, 7, false, &[34, 4, 11]);
        assert_eq!(
            hare.districts.iter().map(|d| d.seats).collect::<Vec<_>>(),
            [5, 0, 2]
        );
        assert!(!hare.tie());
        // Adams, 2 seats for 5, 5, 7: three infinite claims; 7 first, then
        // the first of the two fives by input order.
        let adams = key(Method::Adams, 2, false, &[5, 5, 7]);
        assert_eq!(
            adams.districts.iter().map(|d| d.seats).collect::<Vec<_>>(),
            [1, 0, 1]
        );
        assert_eq!(
            adams.districts.iter().map(|d| d.tie).collect::<Vec<_>>(),
            [true, true, false]
        );
        assert_eq!(adams.last_quotient, None);
    }

    #[test]
    fn a_double_base_mandate_in_pairs_comes_first() {
        // NRW-like: 20 seats in pairs with a double base mandate, four
        // districts of 1000, 500, 300 and 200 members (2000). 10 pairs, one
        // base pair each, 6 pairs to distribute: quotas 3, 1.5, 0.9, 0.6;
        // whole parts 3 + 1 + 0 + 0 = 4, the two left to .9 and .6. Pairs
        // 1+3, 1+1, 1+1, 1+1: seats 8, 4, 4, 4.
        let key = apportion(
            request(20, Method::HareNiemeyer, true, 2),
            &[1000, 500, 300, 200],
        );
        let Ok(key) = key else {
            panic!("{key:?}");
        };
        assert_eq!(
            key.districts.iter().map(|d| d.seats).collect::<Vec<_>>(),
            [8, 4, 4, 4]
        );
        assert!(key.districts.iter().all(|d| d.base_seats == 2));
        assert!(matches!(
            key.districts[2].basis,
            Basis::Remainder { quota, remainder } if close(quota, 0.9) && close(remainder, 0.9)
        ));
        // The divisors count the pairs won, not the base pair. By D'Hondt
        // the claims are 1000, 500 (1000/2) and 500 (500/1), 333 (1000/3),
        // 300 (300/1), then 250 twice (1000/4 and 500/2), 200, …; the
        // sixth pair goes to the first 250 with more members. Pairs won 4,
        // 1, 1, 0; seats 2+8, 2+2, 2+2, 2+0.
        let dhondt = apportion(request(20, Method::Dhondt, true, 2), &[1000, 500, 300, 200]);
        let Ok(dhondt) = dhondt else {
            panic!("{dhondt:?}");
        };
        assert_eq!(
            dhondt.districts.iter().map(|d| d.seats).collect::<Vec<_>>(),
            [10, 4, 4, 2]
        );
        assert_eq!(
            quotients(&dhondt),
            [Some(250.0), Some(500.0), Some(300.0), None]
        );
        assert_eq!(dhondt.last_quotient, Some(250.0));
        assert!(!dhondt.tie());
    }

    #[test]
    fn with_no_members_only_base_seats_can_be_given() {
        let base_only = apportion(request(6, Method::Adams, true, 2), &[0, 0, 0]);
        assert!(base_only.is_ok_and(|key| key.districts.iter().all(|d| d.seats == 2)));
        assert_eq!(
            apportion(request(8, Method::Adams, true, 2), &[0, 0, 0]),
            Err(ApportionmentError::NoMembers)
        );
        assert_eq!(ApportionmentError::NoMembers.field(), None);
        // A district without members among others wins nothing.
        assert_eq!(seats(Method::Adams, 4, false, &[0, 1, 1]), [0, 2, 2]);
    }

    #[test]
    fn requests_that_cannot_be_met_say_which_parameter() {
        let new = |seats, pairs, base| Request::new(seats, Method::Adams, pairs, base);
        assert_eq!(new(221, true, 0), Err(ApportionmentError::SeatsOdd));
        assert_eq!(ApportionmentError::SeatsOdd.field(), Some("seats"));
        assert_eq!(new(220, true, 1), Err(ApportionmentError::BaseSeatsOdd));
        assert_eq!(ApportionmentError::BaseSeatsOdd.field(), Some("base_seats"));
        assert!(new(221, false, 1).is_ok());

        let too_few = apportion(request(10, Method::Adams, true, 4), &[5, 4, 3]);
        assert_eq!(
            too_few,
            Err(ApportionmentError::TooFewSeats {
                needed: 12,
                base_seats: 4,
                districts: 3,
            })
        );
        let Err(too_few) = too_few else {
            panic!("ten seats for twelve base seats");
        };
        assert_eq!(too_few.field(), Some("seats"));
        assert_eq!(
            too_few.to_string(),
            "must be at least 12: 4 base seats for each of 3 districts"
        );
        assert!(apportion(request(12, Method::Adams, true, 4), &[5, 4, 3]).is_ok());

        assert_eq!(
            apportion(request(10, Method::Adams, false, 0), &[]),
            Err(ApportionmentError::NoDistricts)
        );

        let unknown = "hare".parse::<Method>().map_err(ApportionmentError::from);
        assert_eq!(
            unknown,
            Err(ApportionmentError::UnknownMethod(UnknownMethod))
        );
        assert!(unknown.is_err_and(
            |e| e.field() == Some("method") && e.to_string().starts_with("unknown method")
        ));
    }

    #[test]
    fn methods_are_named_alike_everywhere() {
        for method in Method::ALL {
            assert_eq!(method.as_str().parse::<Method>(), Ok(method));
            assert_eq!(method.to_string(), method.as_str());
            let json = serde_json::to_value(method).ok();
            assert_eq!(json, Some(serde_json::Value::from(method.as_str())));
            let back: Option<Method> = json.and_then(|j| serde_json::from_value(j).ok());
            assert_eq!(back, Some(method));
        }
        assert_eq!("Adams".parse::<Method>(), Err(UnknownMethod));
        assert_eq!("d'hondt".parse::<Method>(), Err(UnknownMethod));
    }

    #[test]
    fn a_district_serialises_flat() {
        let key = key(Method::Adams, 5, false, &NINE_SIX_TWO);
        let json = serde_json::to_value(&key).ok();
        let expected = serde_json::json!({
            "seats": 5,
            "method": "adams",
            "pairs": false,
            "base_seats": 0,
            "districts": [
                {"members": 9, "seats": 2, "base_seats": 0, "last_quotient": 9.0, "tie": false},
                {"members": 6, "seats": 2, "base_seats": 0, "last_quotient": 6.0, "tie": false},
                {"members": 2, "seats": 1, "base_seats": 0, "last_quotient": null, "tie": false},
            ],
            "last_quotient": 6.0,
        });
        assert_eq!(json, Some(expected));
    }

    #[test]
    fn thousands_of_seats_are_given_exactly() {
        // Every unit after the head start still goes one by one: against a
        // hand check, 1000 seats for 3:1 by D'Hondt are 750 and 250, by
        // Adams (one each first) the same.
        assert_eq!(seats(Method::Dhondt, 1000, false, &[3, 1]), [750, 250]);
        assert_eq!(seats(Method::Adams, 1000, false, &[3, 1]), [750, 250]);
        assert_eq!(
            seats(Method::SainteLague, 4_000_000_000, false, &[u64::MAX, 1]),
            [4_000_000_000, 0]
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;
        use proptest::test_runner::TestCaseError;

        /// Small counts, so that equal districts and ties come up often,
        /// zeros included.
        fn members() -> impl Strategy<Value = Vec<u64>> {
            prop_oneof![
                proptest::collection::vec(0u64..6, 1..8),
                proptest::collection::vec(0u64..2000, 1..12),
            ]
        }

        fn method() -> impl Strategy<Value = Method> {
            proptest::sample::select(Method::ALL.to_vec())
        }

        /// Unit by unit from nothing: what the head start must agree with.
        fn one_by_one(divisors: Divisors, members: &[u64], rest: u32) -> Vec<u32> {
            let mut won = vec![0u32; members.len()];
            for _ in 0..rest {
                let best = (0..members.len())
                    .filter(|&i| members[i] > 0)
                    .max_by(|&a, &b| {
                        Claim::of(divisors, members[a], won[a])
                            .cmp(Claim::of(divisors, members[b], won[b]))
                            .then(b.cmp(&a))
                    });
                if let Some(i) = best {
                    won[i] += 1;
                }
            }
            won
        }

        fn check(
            method: Method,
            pairs: bool,
            base_units: u32,
            extra_units: u32,
            members: &[u64],
        ) -> Result<(), TestCaseError> {
            let unit = if pairs { 2 } else { 1 };
            let base_seats = base_units * unit;
            let seats = base_seats * members.len() as u32 + extra_units * unit;
            let request = Request::new(seats, method, pairs, base_seats)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let key = apportion(request, members);
            if extra_units > 0 && members.iter().all(|&m| m == 0) {
                prop_assert_eq!(key, Err(ApportionmentError::NoMembers));
                return Ok(());
            }
            let key = key.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let got: Vec<u32> = key.districts.iter().map(|d| d.seats).collect();

            prop_assert_eq!(got.iter().sum::<u32>(), seats);
            prop_assert!(got.iter().all(|&s| s >= base_seats));
            if pairs {
                prop_assert!(got.iter().all(|s| s.is_multiple_of(2)));
            }
            for (i, &a) in members.iter().enumerate() {
                for (j, &b) in members.iter().enumerate() {
                    if a > b {
                        prop_assert!(
                            got[i] >= got[j],
                            "{a} members, {} seats; {b}, {}",
                            got[i],
                            got[j]
                        );
                    }
                }
            }
            // A tie the lot decides is between districts of as many
            // members, some of whom won and some lost the last unit.
            let tied: Vec<&DistrictSeats> = key.districts.iter().filter(|d| d.tie).collect();
            if let Some(first) = tied.first() {
                prop_assert!(tied.len() >= 2);
                prop_assert!(tied.iter().all(|d| d.members == first.members));
                let min = tied.iter().map(|d| d.seats).min();
                let max = tied.iter().map(|d| d.seats).max();
                prop_assert_eq!(min.map(|s| s + unit), max);
            }
            match method.divisors() {
                Some(divisors) => {
                    let won: Vec<u32> = got.iter().map(|s| (s - base_seats) / unit).collect();
                    prop_assert_eq!(won, one_by_one(divisors, members, extra_units));
                }
                None => {
                    // Hare-Niemeyer stays within its quota.
                    for district in &key.districts {
                        let won = f64::from((district.seats - base_seats) / unit);
                        if let Basis::Remainder { quota, .. } = district.basis {
                            prop_assert!(won >= quota.floor() - 1e-9);
                            prop_assert!(won <= quota.ceil() + 1e-9);
                        }
                    }
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2048))]

            /// Every method, in pairs or not, with base seats or without:
            /// the seats add up, every district has its base seats, more
            /// members never mean fewer seats, pairs stay whole, and the
            /// head start gives what one unit at a time would.
            #[test]
            fn keys_add_up_and_follow_the_members(
                method in method(),
                pairs in any::<bool>(),
                base_units in 0u32..3,
                extra_units in 0u32..60,
                members in members(),
            ) {
                check(method, pairs, base_units, extra_units, &members)?;
            }

            /// The head start gives between `rest − 2 × districts` and
            /// `rest` units, and only units one by one would give too.
            #[test]
            fn the_head_start_is_the_beginning_of_one_by_one(
                divisors in proptest::sample::select(vec![
                    Divisors::Dhondt, Divisors::SainteLague, Divisors::Adams,
                ]),
                rest in 0u32..3000,
                members in proptest::collection::vec(0u64..100_000, 1..12),
            ) {
                let total: u128 = members.iter().map(|&m| u128::from(m)).sum();
                prop_assume!(total > 0);
                let start = head_start(divisors, &members, total, rest);
                let given: u32 = start.iter().sum();
                prop_assert!(given <= rest);
                if rest as usize > members.len() {
                    prop_assert!(given as usize + 2 * members.len() >= rest as usize);
                }
                let full = one_by_one(divisors, &members, rest);
                prop_assert!(start.iter().zip(&full).all(|(s, f)| s <= f));
            }
        }
    }
}
