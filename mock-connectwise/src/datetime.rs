//! ConnectWise date-times: UTC, ISO-8601, rendered as `yyyy-MM-ddTHH:mm:ssZ`.
//!
//! Input is accepted in the forms clients send: with `Z` or an offset, with or without
//! fractional seconds, without a zone (read as UTC), or a bare date (midnight UTC).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Seconds since the Unix epoch, if `s` is a date-time ConnectWise would accept.
pub(crate) fn parse(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp());
    }
    let naive = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let naive_frac = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");
    if let Ok(t) = PrimitiveDateTime::parse(s, naive).or_else(|_| PrimitiveDateTime::parse(s, naive_frac)) {
        return Some(t.assume_offset(UtcOffset::UTC).unix_timestamp());
    }
    let date = format_description!("[year]-[month]-[day]");
    Date::parse(s, date).ok().map(|d| d.midnight().assume_utc().unix_timestamp())
}

/// `yyyy-MM-ddTHH:mm:ssZ`.
pub(crate) fn format(secs: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let f = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(f).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_clients_send_are_accepted() {
        let z = parse("2022-07-02T04:20:41Z").unwrap();
        assert_eq!(parse("2022-07-02T04:20:41.123Z"), Some(z));
        assert_eq!(parse("2022-07-02T06:20:41+02:00"), Some(z));
        assert_eq!(parse("2022-07-02T04:20:41"), Some(z));
        assert_eq!(parse("2022-07-02"), Some(z - (4 * 3600 + 20 * 60 + 41)));
    }

    #[test]
    fn rendering_uses_the_connectwise_form() {
        assert_eq!(format(parse("2022-07-02T06:20:41+02:00").unwrap()), "2022-07-02T04:20:41Z");
    }

    #[test]
    fn nonsense_is_not_a_date() {
        for s in ["", "yesterday", "2022-13-01", "2022-02-30T00:00:00Z", "[2022-01-01]"] {
            assert_eq!(parse(s), None, "{s}");
        }
    }
}
