//! Counts in messages, in the grammatical number they need.

/// `n` and the noun, singular for exactly one: "1 delivery", "2 deliveries", "0 deliveries".
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1u64, "delivery", "deliveries"), "1 delivery");
        assert_eq!(count(2u64, "delivery", "deliveries"), "2 deliveries");
        assert_eq!(count(0u64, "secret", "secrets"), "0 secrets");
        assert_eq!(count(11u32, "entry", "entries"), "11 entries");
    }
}
