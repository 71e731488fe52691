//! JSON request bodies with a size limit and error messages that never echo the input.
//!
//! serde's error text can quote the offending value, and a request body may hold card data, so
//! a parse failure is described by a fixed sentence that names at most a field of the API.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use super::AppState;
use super::problem::{Problem, ProblemKind};

/// A request body type: its JSON field names, the only names an error message may contain.
pub trait RequestBody: DeserializeOwned {
    const FIELDS: &'static [&'static str];
}

/// Extracts and parses a JSON body of type `T`.
pub struct JsonBody<T>(pub T);

impl<T: RequestBody> FromRequest<AppState> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        check_content_type(&parts.headers)?;
        let bytes = read_limited(&parts.headers, body, state.config.max_body_bytes).await?;
        parse::<T>(&bytes).map(JsonBody)
    }
}

fn check_content_type(headers: &HeaderMap) -> Result<(), Problem> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" {
        Ok(())
    } else {
        Err(Problem::new(ProblemKind::UnsupportedMediaType)
            .detail("send the body as JSON with Content-Type: application/json"))
    }
}

/// Reads at most `limit` bytes; a larger body (declared or actual) is a 413 problem.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<axum::body::Bytes, Problem> {
    let too_large = || {
        Problem::new(ProblemKind::BodyTooLarge)
            .detail(format!("the request body must be at most {limit} bytes"))
    };

    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }

    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes),
        Err(error) if is_length_limit(&error) => Err(too_large()),
        Err(_) => {
            Err(Problem::new(ProblemKind::InvalidRequest)
                .detail("the request body could not be read"))
        }
    }
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}

/// Parses JSON into `T`, describing failures without quoting the input.
pub fn parse<T: RequestBody>(bytes: &[u8]) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut deserializer)
        .map_err(|e| describe::<T>(&e))?;
    deserializer
        .end()
        .map_err(|_| invalid("the request body must be one JSON object", None))?;
    Ok(value)
}

fn invalid(detail: &str, field: Option<&'static str>) -> Problem {
    let problem = Problem::new(ProblemKind::InvalidRequest).detail(detail);
    match field {
        Some(field) => problem.field(field),
        None => problem,
    }
}

/// Finds `name` among the type's field names, returning the static name.
fn known_field<T: RequestBody>(name: &str) -> Option<&'static str> {
    T::FIELDS.iter().copied().find(|f| *f == name)
}

fn describe<T: RequestBody>(error: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    use serde_json::error::Category;

    let inner = error.inner();
    if !matches!(inner.classify(), Category::Data) {
        return invalid("the request body is not valid JSON", None);
    }

    // The path names the field whose value failed; it is built from the type's own field names.
    let path = error.path().to_string();
    if let Some(field) = known_field::<T>(&path) {
        return invalid(
            &format!("field `{field}` has an invalid type or value"),
            Some(field),
        );
    }

    // serde reports a missing or unknown field at the enclosing object. Only a name that is one
    // of the type's own fields is repeated; an unknown name came from the client and is not.
    let message = inner.to_string();
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or("");
        if let Some(field) = known_field::<T>(name) {
            return invalid(&format!("missing required field `{field}`"), Some(field));
        }
    }
    if message.starts_with("unknown field") {
        return invalid("the request body contains an unknown field", None);
    }
    if path == "." || path.is_empty() {
        return invalid(
            "the request body must be a JSON object with the documented fields",
            None,
        );
    }
    invalid("the request body contains an invalid value", None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Example {
        amount: u64,
        envelope: String,
    }

    impl RequestBody for Example {
        const FIELDS: &'static [&'static str] = &["amount", "envelope"];
    }

    fn detail_of(json: &str) -> String {
        let problem = parse::<Example>(json.as_bytes()).unwrap_err();
        problem.to_json(None)
    }

    #[test]
    fn wrong_type_names_field_without_value() {
        let json = detail_of(r#"{"amount": "4560000000000004", "envelope": "x"}"#);
        assert!(json.contains("`amount`"), "{json}");
        assert!(!json.contains("4560000000000004"), "{json}");
    }

    #[test]
    fn unknown_field_is_not_echoed() {
        let json = detail_of(r#"{"amount": 1, "envelope": "x", "4560000000000004": 1}"#);
        assert!(json.contains("unknown field"), "{json}");
        assert!(!json.contains("4560000000000004"), "{json}");
    }

    #[test]
    fn syntax_error_is_not_echoed() {
        let json = detail_of(r#"{"amount": 4560000000000004x}"#);
        assert!(json.contains("not valid JSON"), "{json}");
        assert!(!json.contains("4560000000000004"), "{json}");
    }

    #[test]
    fn missing_field_is_named() {
        let json = detail_of(r#"{"amount": 1}"#);
        assert!(json.contains("missing required field `envelope`"), "{json}");
    }

    #[test]
    fn trailing_data_is_rejected() {
        let json = detail_of(r#"{"amount": 1, "envelope": "x"} {}"#);
        assert!(json.contains("one JSON object"), "{json}");
    }
}
