//! The schedule request: what the user fills in, every rule the docs state, and the body sent.
//!
//! Rules are checked before anything is sent and reported all at once, one [`FieldError`] per
//! problem, so a form can mark every field and the CLI can list them in one go.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{FloviOffice, same_office_id};
use crate::time::DateTime;

pub const RESERVATION_TYPES: [&str; 5] =
    ["officeToOffice", "homeDelivery", "serviceDrive", "purchaseCar", "replacementCar"];
pub const PLACE_TYPES: [&str; 3] = ["ownOffices", "otherPlace", "homeAddress"];
pub const COUNTRIES: [&str; 2] = ["FI", "SE"];
const ADDRESS_FORMAT: &str =
    "\"street number, zip city, country\", e.g. \"Street 12, 00100 Helsinki, FI\"";
const DEPART_EXAMPLE: &str = "an ISO 8601 date-time in UTC, e.g. 2025-04-23T12:00:00Z";
/// Office ids named in an unknown-office message; enough to spot a typo.
const OFFICES_LISTED: usize = 10;

/// A schedule request as the user gives it. Types are plain strings so that a wrong one is
/// reported with the others instead of failing to parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ScheduleRequest {
    pub reservation_type: String,
    pub origin_type: String,
    #[serde(default)]
    pub origin_office_id: Option<String>,
    #[serde(default)]
    pub origin_address: Option<String>,
    pub destination_type: String,
    #[serde(default)]
    pub destination_office_id: Option<String>,
    #[serde(default)]
    pub destination_address: Option<String>,
    pub depart: String,
    #[serde(default)]
    pub test_plates: bool,
}

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FieldError {
    /// The request field in camelCase, as in [`ScheduleRequest`]'s JSON.
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}

/// The body Flovi receives: the docs' field names, only the fields that apply to each place
/// type, and `depart` spelled `…Z` so no reader has to guess the zone.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Wire<'a> {
    reservation_type: &'a str,
    origin_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin_office_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    origin_address: Option<String>,
    destination_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_office_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    destination_address: Option<String>,
    test_plates: bool,
    depart: String,
}

/// Checks `request` against the docs (and against `offices`, the organisation's office list,
/// when it is known) and builds the JSON body; or every problem found.
pub fn validate(
    request: &ScheduleRequest,
    offices: Option<&[FloviOffice]>,
) -> Result<String, Vec<FieldError>> {
    let mut errors = Vec::new();
    let reservation_type =
        one_of(&mut errors, "reservationType", &request.reservation_type, &RESERVATION_TYPES);
    let origin = place(
        &mut errors,
        offices,
        ("originType", &request.origin_type),
        ("originOfficeId", request.origin_office_id.as_deref()),
        ("originAddress", request.origin_address.as_deref()),
    );
    let destination = place(
        &mut errors,
        offices,
        ("destinationType", &request.destination_type),
        ("destinationOfficeId", request.destination_office_id.as_deref()),
        ("destinationAddress", request.destination_address.as_deref()),
    );
    let depart = depart(&request.depart).map_err(|m| errors.push(FieldError::new("depart", m)));
    match (reservation_type, origin, destination, depart) {
        (Some(reservation_type), Some(origin), Some(destination), Ok(depart))
            if errors.is_empty() =>
        {
            let wire = Wire {
                reservation_type,
                origin_type: origin.kind,
                origin_office_id: origin.office_id,
                origin_address: origin.address,
                destination_type: destination.kind,
                destination_office_id: destination.office_id,
                destination_address: destination.address,
                test_plates: request.test_plates,
                depart,
            };
            serde_json::to_string(&wire)
                .map_err(|e| vec![FieldError::new("request", e.to_string())])
        }
        _ => Err(errors),
    }
}

/// Every problem with `request`; empty when it can be sent.
pub fn field_errors(request: &ScheduleRequest, offices: Option<&[FloviOffice]>) -> Vec<FieldError> {
    validate(request, offices).err().unwrap_or_default()
}

/// `depart` in UTC as sent, or why it cannot be.
pub fn depart(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(format!("is required: {DEPART_EXAMPLE}"));
    }
    let parsed = DateTime::parse(text)
        .map_err(|why| format!("is not a date-time ({why}); give {DEPART_EXAMPLE}"))?;
    if !parsed.is_utc() {
        return Err(format!(
            "must be in UTC (Flovi takes UTC only): convert {} to UTC, which is {}",
            text.trim(),
            parsed.to_rfc3339_utc()
        ));
    }
    Ok(parsed.to_rfc3339_utc())
}

struct Place<'a> {
    kind: &'a str,
    office_id: Option<&'a str>,
    address: Option<String>,
}

/// Checks one end of the route; the field that does not apply to its type is left out.
fn place<'a>(
    errors: &mut Vec<FieldError>,
    offices: Option<&[FloviOffice]>,
    (type_field, kind): (&str, &'a str),
    (office_field, office_id): (&str, Option<&'a str>),
    (address_field, address): (&str, Option<&str>),
) -> Option<Place<'a>> {
    let kind = one_of(errors, type_field, kind, &PLACE_TYPES)?;
    if kind == "ownOffices" {
        let id = office_id.map(str::trim).filter(|id| !id.is_empty());
        let Some(id) = id else {
            errors.push(FieldError::new(
                office_field,
                format!("is required when {type_field} is ownOffices: a Flovi office id"),
            ));
            return None;
        };
        if let Some(known) = offices
            && !known.iter().any(|o| same_office_id(&o.id, id))
        {
            errors.push(FieldError::new(office_field, unknown_office(id, known)));
            return None;
        }
        Some(Place { kind, office_id: Some(id), address: None })
    } else {
        let text = address.map(str::trim).filter(|a| !a.is_empty());
        let Some(text) = text else {
            errors.push(FieldError::new(
                address_field,
                format!("is required when {type_field} is {kind}: {ADDRESS_FORMAT}"),
            ));
            return None;
        };
        match check_address(text) {
            Ok(address) => Some(Place { kind, office_id: None, address: Some(address) }),
            Err(problems) => {
                errors.extend(problems.into_iter().map(|m| FieldError::new(address_field, m)));
                None
            }
        }
    }
}

fn unknown_office(id: &str, known: &[FloviOffice]) -> String {
    if known.is_empty() {
        return format!("office {id:?} is unknown: Flovi listed no offices for your organisation");
    }
    let mut listed: Vec<String> =
        known.iter().take(OFFICES_LISTED).map(|o| format!("{} ({})", o.id, o.name)).collect();
    if known.len() > OFFICES_LISTED {
        listed.push(format!("and {} more", known.len() - OFFICES_LISTED));
    }
    format!(
        "office {id:?} is not one of your offices: {}; fetch the office list again if it is new",
        listed.join(", ")
    )
}

/// The allowed value `value` names, or an error saying which ones are allowed.
fn one_of<'a>(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    allowed: &[&'a str],
) -> Option<&'a str> {
    let value = value.trim();
    if let Some(found) = allowed.iter().find(|a| **a == value) {
        return Some(found);
    }
    let list = allowed.join(", ");
    let message = if value.is_empty() {
        format!("is required: one of {list}")
    } else if let Some(near) = allowed.iter().find(|a| a.eq_ignore_ascii_case(value)) {
        format!("{value:?} is not a valid value: did you mean {near}? (one of {list})")
    } else {
        format!("{value:?} is not a valid value: use one of {list}")
    };
    errors.push(FieldError::new(field, message));
    None
}

/// Checks "street number, zip city, country" (FI or SE) and returns it tidied, or every
/// problem with it.
pub fn check_address(text: &str) -> Result<String, Vec<String>> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [street, zip_city, country] = parts[..] else {
        return Err(vec![format!(
            "must be {ADDRESS_FORMAT}: three parts separated by commas, found {}",
            parts.len()
        )]);
    };
    let mut problems = Vec::new();
    let has_letter = street.chars().any(char::is_alphabetic);
    let has_digit = street.chars().any(|c| c.is_ascii_digit());
    if !has_letter || !has_digit {
        problems.push(format!(
            "must start with the street and its number, e.g. \"Street 12\" (found {street:?})"
        ));
    }
    let country_code = country.to_ascii_uppercase();
    let known_country = COUNTRIES.contains(&country_code.as_str());
    if !known_country {
        problems.push(format!(
            "must end with the country code FI or SE (found {country:?}); {ADDRESS_FORMAT}"
        ));
    }
    let zip_city = match split_zip(zip_city, &country_code) {
        Ok((zip, city)) => format!("{zip} {city}"),
        Err(problem) => {
            problems.push(problem);
            String::new()
        }
    };
    if problems.is_empty() {
        Ok(format!("{street}, {zip_city}, {country_code}"))
    } else {
        Err(problems)
    }
}

/// Splits "00100 Helsinki" (FI: five digits) or "114 55 Stockholm" (SE: `NNN NN` or five
/// digits). With an unknown country either form passes, so only the country is reported.
fn split_zip(text: &str, country: &str) -> Result<(String, String), String> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let words: Vec<&str> = text.split_whitespace().collect();
    let (zip, city) = match words[..] {
        [zip, ref city @ ..] if digits(zip, 5) => (zip.to_owned(), city),
        [head, tail, ref city @ ..] if country != "FI" && digits(head, 3) && digits(tail, 2) => {
            (format!("{head} {tail}"), city)
        }
        _ => {
            return Err(match country {
                "FI" => format!(
                    "needs a Finnish zip code of five digits before the city, e.g. \"00100 \
                     Helsinki\" (found {text:?})"
                ),
                "SE" => format!(
                    "needs a Swedish zip code (\"NNN NN\" or five digits) before the city, e.g. \
                     \"114 55 Stockholm\" (found {text:?})"
                ),
                _ => format!(
                    "needs a zip code before the city, e.g. \"00100 Helsinki\" (found {text:?})"
                ),
            });
        }
    };
    if city.is_empty() {
        return Err(format!("needs the city after the zip code {zip}, e.g. \"00100 Helsinki\""));
    }
    Ok((zip, city.join(" ")))
}
