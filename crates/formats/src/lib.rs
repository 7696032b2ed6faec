//! The files kartei hands out, the same from the JSON API and from the
//! staff pages: CSV that German Excel opens as it is ([`csv`]) and the
//! SVG line chart of a report's trend ([`chart`]).
//!
//! Neither knows HTTP nor the use cases: each takes plain rows and labels
//! (in the words of the front end that asks) and answers bytes or text, so
//! the two front ends only wrap them into their own responses.

pub mod chart;
pub mod csv;
