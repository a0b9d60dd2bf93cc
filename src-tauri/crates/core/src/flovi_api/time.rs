//! ISO 8601 date-times as Flovi writes them. The docs promise "UTC0" but show it three ways:
//! `…Z`, `….000000Z` in answers and no offset at all in the request example, so a missing offset
//! means UTC here. No date library: the app needs only this one format and the arithmetic to
//! move an offset time to UTC.

/// A calendar date-time, checked to exist, with the offset it was written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Fraction digits with trailing zeros dropped (`.000000` is none).
    fraction: String,
    /// Minutes east of UTC; `None` when no offset was written.
    offset_minutes: Option<i32>,
}

impl DateTime {
    /// Parses `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM|±HHMM|±HH]` (`T` may be a space).
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let s = text.trim();
        let b = s.as_bytes();
        let shape = "expected a date-time like 2025-04-23T12:00:00Z";
        if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return Err(shape.into());
        }
        let num = |range: std::ops::Range<usize>| -> Result<u32, String> {
            let part = s.get(range).ok_or(shape)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| shape.to_owned())
            } else {
                Err(shape.to_owned())
            }
        };
        let year = i64::from(num(0..4)?);
        let (month, day) = (num(5..7)?, num(8..10)?);
        if b[13] != b':' {
            return Err(shape.into());
        }
        let (hour, minute) = (num(11..13)?, num(14..16)?);
        let mut i = 16;
        let mut second = 0;
        if b.get(i) == Some(&b':') {
            second = num(i + 1..i + 3)?;
            i += 3;
        }
        let mut fraction = String::new();
        if matches!(b.get(i), Some(b'.' | b',')) {
            let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return Err(shape.into());
            }
            fraction = s[i + 1..i + 1 + digits].trim_end_matches('0').to_owned();
            i += 1 + digits;
        }
        let offset_minutes = parse_offset(&s[i..]).ok_or(shape)?;
        if !(1..=12).contains(&month) {
            return Err(format!("month {month} does not exist"));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(format!("{year:04}-{month:02}-{day:02} is not a date"));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(format!("{hour:02}:{minute:02}:{second:02} is not a time of day"));
        }
        Ok(Self { year, month, day, hour, minute, second, fraction, offset_minutes })
    }

    /// Whether it was written as UTC: `Z`, a zero offset, or no offset at all.
    pub(crate) fn is_utc(&self) -> bool {
        self.offset_minutes.unwrap_or(0) == 0
    }

    /// The same instant in UTC.
    pub(crate) fn to_utc(&self) -> Self {
        let offset = i64::from(self.offset_minutes.unwrap_or(0));
        let minutes = days_from_civil(self.year, self.month, self.day) * 1440
            + i64::from(self.hour) * 60
            + i64::from(self.minute)
            - offset;
        let (year, month, day) = civil_from_days(minutes.div_euclid(1440));
        let in_day = minutes.rem_euclid(1440);
        Self {
            year,
            month,
            day,
            hour: (in_day / 60) as u32,
            minute: (in_day % 60) as u32,
            second: self.second,
            fraction: self.fraction.clone(),
            offset_minutes: Some(0),
        }
    }

    /// RFC 3339 in UTC: `2025-04-23T12:00:00Z`, with a fraction only when it is not zero.
    pub(crate) fn to_rfc3339_utc(&self) -> String {
        let t = self.to_utc();
        let fraction =
            if t.fraction.is_empty() { String::new() } else { format!(".{}", t.fraction) };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
            t.year, t.month, t.day, t.hour, t.minute, t.second
        )
    }
}

/// `Some(None)` for no offset, `Some(Some(minutes))` for a valid one, `None` for anything else.
fn parse_offset(rest: &str) -> Option<Option<i32>> {
    let (sign, digits) = match rest.as_bytes().first() {
        None => return Some(None),
        Some(b'Z' | b'z') if rest.len() == 1 => return Some(Some(0)),
        Some(b'+') => (1, &rest[1..]),
        Some(b'-') => (-1, &rest[1..]),
        _ => return None,
    };
    let digits: String = match digits.len() {
        2 | 4 => digits.to_owned(),
        5 if digits.as_bytes()[2] == b':' => digits.replacen(':', "", 1),
        _ => return None,
    };
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 =
        digits.get(2..).filter(|m| !m.is_empty()).map_or(Some(0), |m| m.parse().ok())?;
    (hours <= 23 && minutes <= 59).then_some(Some(sign * (hours * 60 + minutes)))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Counting years from March puts the leap day last, so month lengths follow a pattern.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u32, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> String {
        DateTime::parse(text).unwrap().to_rfc3339_utc()
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
    }

    #[test]
    fn calendar_round_trips() {
        for days in [-719_468, -1, 0, 11_016, 20_201, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
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
            "2025-04-23T12:00:00+25:00",
            "2025-04-23T12:00:00.Z",
            "2025-04-23T12:00:00 UTC",
            "2025-04-23T12:0x:00Z",
        ] {
            assert!(DateTime::parse(text).is_err(), "{text:?}");
        }
        assert!(DateTime::parse("2025-13-01T00:00:00Z").unwrap_err().contains("month 13"));
        assert!(DateTime::parse("2025-02-29T00:00:00Z").unwrap_err().contains("not a date"));
        assert!(DateTime::parse("2024-02-29T00:00:00Z").is_ok());
        assert!(DateTime::parse("2025-04-23T24:00:00Z").unwrap_err().contains("time of day"));
    }
}
