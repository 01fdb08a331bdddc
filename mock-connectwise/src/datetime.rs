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

/// `yyyy-MM-ddTHH:mm:ssZ`. Written digit by digit from Howard Hinnant's `civil_from_days`:
/// every rendered record carries two of these, and going through `time`'s formatting cost
/// more than the rest of the record. A test checks it against `time` over the whole range.
pub(crate) fn format(secs: i64) -> String {
    String::from_utf8(digits(secs).to_vec()).unwrap_or_default()
}

/// The 20 bytes of [`format`], for writers that append them without a `String`. Records
/// written together mostly share their dates, so the last one is remembered per thread.
pub(crate) fn digits(secs: i64) -> [u8; 20] {
    thread_local!(static LAST: std::cell::Cell<Option<(i64, [u8; 20])>> = const { std::cell::Cell::new(None) });
    if let Some((at, out)) = LAST.get() {
        if at == secs {
            return out;
        }
    }
    let out = compute_digits(secs);
    LAST.set(Some((secs, out)));
    out
}

fn compute_digits(secs: i64) -> [u8; 20] {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = (yoe + era * 400 + i64::from(month <= 2)).clamp(0, 9999);
    let mut out = [0u8; 20];
    let mut put = |at: usize, v: i64, width: usize| {
        let mut v = v;
        for i in (0..width).rev() {
            out[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, rem / 3600, 2);
    put(14, rem / 60 % 60, 2);
    put(17, rem % 60, 2);
    for (at, sep) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'Z')] {
        out[at] = sep;
    }
    out
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

    #[test]
    fn the_fast_formatter_agrees_with_time_from_year_0_to_9999() {
        let f = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
        let first =
            Date::from_calendar_date(0, time::Month::January, 1).unwrap().midnight().assume_utc().unix_timestamp();
        let last =
            Date::from_calendar_date(9999, time::Month::December, 31).unwrap().midnight().assume_utc().unix_timestamp();
        let mut secs = first;
        while secs <= last {
            let expected = OffsetDateTime::from_unix_timestamp(secs).unwrap().format(f).unwrap();
            assert_eq!(format(secs), expected, "{secs}");
            secs += 86_400 * 7 + 3_677;
        }
        assert_eq!(format(0), "1970-01-01T00:00:00Z");
        assert_eq!(format(951_782_400), "2000-02-29T00:00:00Z");
    }
}
