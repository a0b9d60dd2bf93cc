//! Every calendar date and time Hookscope reads or writes, through `jiff`: HAR's
//! `startedDateTime`, Flovi's schedule times, and the times the CLI prints. No calendar
//! arithmetic of our own, so an impossible date (month 13, February 30, 25:00) is refused by
//! the same rules everywhere.

use jiff::Timestamp;
use jiff::fmt::temporal::DateTimeParser;
use jiff::tz::Offset;

static PARSER: DateTimeParser = DateTimeParser::new();

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

fn at_ms(ms: i64) -> Timestamp {
    // Only a corrupt store holds a time past year 9999; it prints at the edge rather than not.
    Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 { Timestamp::MIN } else { Timestamp::MAX })
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as HAR's `startedDateTime`.
pub fn iso8601(ms: i64) -> String {
    at_ms(ms).strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `YYYY-MM-DD HH:MM:SS.mmm` in UTC: [`iso8601`] spaced for reading in a terminal.
pub fn display_utc(ms: i64) -> String {
    at_ms(ms).strftime("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// Parses an ISO 8601 date-time into Unix milliseconds (a finer fraction is cut off). A time
/// without an offset is taken as UTC.
pub fn parse_iso8601(text: &str) -> Result<i64, String> {
    Ok(DateTime::parse(text)?.timestamp.as_millisecond())
}

/// An instant parsed from an ISO 8601 date-time, with the offset it was written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTime {
    timestamp: Timestamp,
    /// `None` when no offset was written.
    offset: Option<Offset>,
}

impl DateTime {
    /// Parses `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM|±HHMM|±HH]` (`T` may be a space; what
    /// else ISO 8601 allows, jiff reads). The error names the part that is wrong, such as
    /// "parameter 'month' is not in the required range of 1..=12".
    pub fn parse(text: &str) -> Result<Self, String> {
        let pieces = PARSER.parse_pieces(text.trim()).map_err(|e| e.to_string())?;
        if pieces.time_zone_annotation().is_some() {
            return Err(
                "a time zone name is not accepted: give an offset such as Z or +02:00".into()
            );
        }
        let time = pieces.time().ok_or("a time of day is missing (such as T12:00:00Z)")?;
        let offset = pieces.to_numeric_offset();
        // jiff reads offsets up to ±25:59, which no place on Earth uses.
        if let Some(offset) = offset.filter(|o| o.seconds().unsigned_abs() >= 24 * 3600) {
            return Err(format!("the offset {offset} is not within a day of UTC"));
        }
        let timestamp = offset
            .unwrap_or(Offset::UTC)
            .to_timestamp(pieces.date().to_datetime(time))
            .map_err(|e| e.to_string())?;
        Ok(Self { timestamp, offset })
    }

    /// Whether it was written as UTC: `Z`, a zero offset, or no offset at all.
    pub fn is_utc(&self) -> bool {
        self.offset.is_none_or(|o| o == Offset::UTC)
    }

    /// Unix milliseconds.
    pub fn unix_ms(&self) -> i64 {
        self.timestamp.as_millisecond()
    }

    /// RFC 3339 in UTC: `2025-04-23T12:00:00Z`, with a fraction only when it is not zero.
    pub fn to_rfc3339_utc(&self) -> String {
        self.timestamp.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> String {
        DateTime::parse(text).unwrap().to_rfc3339_utc()
    }

    #[test]
    fn har_times_round_trip_in_milliseconds() {
        for ms in [0, -1, 1_533_204_620_123, 951_782_400_000, 1_790_000_000_999] {
            assert_eq!(parse_iso8601(&iso8601(ms)), Ok(ms), "{}", iso8601(ms));
        }
        assert_eq!(iso8601(1_533_204_620_123), "2018-08-02T10:10:20.123Z");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(display_utc(951_782_400_000), "2000-02-29 00:00:00.000");
        assert_eq!(parse_iso8601("2018-08-02T12:10:20.1+02:00"), Ok(1_533_204_620_100));
        assert_eq!(parse_iso8601("2018-08-02T10:10:20.123456789Z"), Ok(1_533_204_620_123));
        assert!(parse_iso8601("yesterday").is_err());
    }

    #[test]
    fn every_utc_spelling_means_the_same_instant() {
        for text in [
            "2025-04-23T12:00:00Z",
            "2025-04-23T12:00:00",
            "2025-04-23T12:00:00+00:00",
            "2025-04-23T12:00:00-00:00",
            "2025-04-23T12:00:00+0000",
            "2025-04-23 12:00:00z",
            "2025-04-23T12:00",
            "2025-04-23T12:00:00.000000Z",
            " 2025-04-23T12:00:00Z ",
        ] {
            let parsed = DateTime::parse(text).unwrap();
            assert!(parsed.is_utc(), "{text}");
            assert_eq!(parsed.to_rfc3339_utc(), "2025-04-23T12:00:00Z", "{text}");
        }
        assert_eq!(utc("2025-04-23T12:00:00.250Z"), "2025-04-23T12:00:00.25Z");
    }

    #[test]
    fn offsets_move_to_utc_across_days_months_and_leap_years() {
        let plus_two = DateTime::parse("2025-04-23T14:30:00+02:00").unwrap();
        assert!(!plus_two.is_utc());
        assert_eq!(plus_two.to_rfc3339_utc(), "2025-04-23T12:30:00Z");
        assert_eq!(utc("2025-01-01T01:00:00+03:00"), "2024-12-31T22:00:00Z");
        assert_eq!(utc("2024-02-28T23:30:00-01:00"), "2024-02-29T00:30:00Z");
        assert_eq!(utc("2023-02-28T23:30:00-01:00"), "2023-03-01T00:30:00Z");
        assert_eq!(utc("2025-04-23T12:00:00+0530"), "2025-04-23T06:30:00Z");
        assert_eq!(utc("2025-04-23T12:00:00-05"), "2025-04-23T17:00:00Z");
        assert_eq!(
            DateTime::parse("2025-04-23T14:30:00.5+02:00").unwrap().unix_ms(),
            DateTime::parse("2025-04-23T12:30:00.500Z").unwrap().unix_ms()
        );
    }

    #[test]
    fn impossible_dates_and_times_are_refused_naming_the_part() {
        for (text, part) in [
            ("2025-13-01T00:00:00Z", "'month'"),
            ("2025-00-10T00:00:00Z", "'month'"),
            ("2025-01-32T00:00:00Z", "'day'"),
            ("2025-02-29T00:00:00Z", "'day'"),
            ("2025-04-31T00:00:00Z", "'day'"),
            ("2025-04-23T25:00:00Z", "'hour'"),
            ("2025-04-23T24:00:00Z", "'hour'"),
            ("2025-04-23T12:60:00Z", "'minute'"),
        ] {
            let err = DateTime::parse(text).unwrap_err();
            assert!(err.contains(part), "{text}: {err}");
        }
        assert!(DateTime::parse("2024-02-29T00:00:00Z").is_ok(), "a leap day");
        assert!(DateTime::parse("2025-04-23T12:00:00+25:00").unwrap_err().contains("offset"));
    }

    #[test]
    fn rejects_what_is_not_a_date_time() {
        for text in [
            "",
            "tomorrow",
            "2025-04-23",
            "23.04.2025 12:00",
            "2025-4-23T12:00:00Z",
            "2025-04-23T12:00:00ZZ",
            "2025-04-23T12:00:00+2",
            "2025-04-23T12:00:00.Z",
            "2025-04-23T12:00:00 UTC",
            "2025-04-23T12:0x:00Z",
            "2025-04-23T12:00:00[Europe/Helsinki]",
        ] {
            assert!(DateTime::parse(text).is_err(), "{text:?}");
        }
    }
}
